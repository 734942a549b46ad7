package report

// WriteSARIFIn is writeSARIF with the working directory given, so that
// tests need not change theirs.
var WriteSARIFIn = writeSARIF
