package relabel

// Shared returns how many rules the targets of the group p is relabeling
// share, and which of them drops them all (-1 if none).
func Shared(p *Relabeler) (rules, dropped int) { return p.shared.rules, p.shared.dropped }
