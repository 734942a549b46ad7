package xsd

import (
	"strings"
	"testing"
)

// testSchema uses every construct the package supports.
const testSchema = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:annotation><xs:documentation>a report</xs:documentation></xs:annotation>
  <xs:simpleType name="version">
    <xs:restriction base="xs:token">
      <xs:pattern value="v[0-9]+(\.[0-9]+)?"/>
      <xs:pattern value="dev"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="level">
    <xs:restriction base="xs:string">
      <xs:enumeration value="low"/>
      <xs:enumeration value="high"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:element name="note" type="xs:string"/>
  <xs:complexType name="groupType">
    <xs:sequence>
      <xs:element ref="group" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="item" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:simpleContent>
            <xs:extension base="xs:decimal">
              <xs:attribute name="level" type="level"/>
            </xs:extension>
          </xs:simpleContent>
        </xs:complexType>
      </xs:element>
    </xs:sequence>
    <xs:attribute name="name" use="required">
      <xs:simpleType>
        <xs:restriction base="xs:token"><xs:minLength value="1"/></xs:restriction>
      </xs:simpleType>
    </xs:attribute>
  </xs:complexType>
  <xs:element name="group" type="groupType"/>
  <xs:element name="report">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="meta">
          <xs:complexType>
            <xs:all>
              <xs:element name="host" type="xs:token"/>
              <xs:element name="when" type="xs:dateTime" minOccurs="0"/>
            </xs:all>
          </xs:complexType>
        </xs:element>
        <xs:choice minOccurs="0" maxOccurs="2">
          <xs:element ref="group"/>
          <xs:element ref="note"/>
        </xs:choice>
        <xs:element name="log" minOccurs="0">
          <xs:complexType mixed="true">
            <xs:sequence><xs:element name="b" type="xs:string" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="empty" minOccurs="0"><xs:complexType/></xs:element>
        <xs:element name="extra" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="count" type="xs:int" use="required"/>
      <xs:attribute name="version" type="version"/>
      <xs:attribute name="ok" type="xs:boolean"/>
      <xs:attribute name="kind" type="xs:string" fixed="test"/>
    </xs:complexType>
  </xs:element>
</xs:schema>`

func TestValidate(t *testing.T) {
	s, err := Parse([]byte(testSchema))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	meta := `<meta><host>ci</host></meta>`
	tests := []struct {
		name string
		doc  string
		// want is a part of the error; "" means the document is valid.
		want string
	}{
		{"minimal", `<report count="0">` + meta + `</report>`, ""},
		{"full", `<?xml version="1.0"?>
<report count=" 42 " version="v1.2" ok="true" kind="test" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="r.xsd">
  <meta><when>2024-01-02T03:04:05Z</when><host> a  b </host></meta>
  <group name="outer"><group name="inner"><item level="low">1.5</item></group><item>-3</item><item>.5</item></group>
  <note>anything &lt;at all&gt;</note>
  <log>text <b>bold</b> more text</log>
  <empty/>
  <extra any="thing"><whatever/>text</extra>
</report>`, ""},
		{"second pattern", `<report count="1" version="dev">` + meta + `</report>`, ""},
		{"missing required attribute", `<report>` + meta + `</report>`, "required attribute count is missing"},
		{"undeclared attribute", `<report count="1" colour="red">` + meta + `</report>`, "attribute colour is not declared"},
		{"bad int", `<report count="12x">` + meta + `</report>`, `"12x" is not a valid xs:int`},
		{"int out of range", `<report count="2147483648">` + meta + `</report>`, "out of range"},
		{"bad boolean", `<report count="1" ok="yes">` + meta + `</report>`, "not a valid xs:boolean"},
		{"bad decimal", `<report count="1">` + meta + `<group name="g"><item>1.2.3</item></group></report>`, `"1.2.3" is not a valid xs:decimal`},
		{"bad dateTime", `<report count="1"><meta><host>h</host><when>2024-13-01T00:00:00</when></meta></report>`, "not a valid xs:dateTime"},
		{"pattern mismatch", `<report count="1" version="1.2">` + meta + `</report>`, "does not match the pattern"},
		{"enumeration", `<report count="1">` + meta + `<group name="g"><item level="mid">1</item></group></report>`, "is not one of"},
		{"minLength after collapse", `<report count="1">` + meta + `<group name="  "/></report>`, "shorter than 1"},
		{"fixed value", `<report count="1" kind="prod">` + meta + `</report>`, `attribute kind must be "test"`},
		{"unknown element", `<report count="1">` + meta + `<bogus/></report>`, "element <bogus> is not allowed here"},
		{"unknown root", `<bogus/>`, "root element <bogus> is not declared"},
		{"namespaced root", `<report xmlns="urn:x" count="1">` + meta + `</report>`, "root element <report> is not declared"},
		{"wrong order", `<report count="1"><log/>` + meta + `</report>`, "element <log> is not expected here"},
		{"wrong order in sequence", `<report count="1">` + meta + `<group name="g"><item>1</item><group name="h"/></group></report>`, "element <group> is not expected here"},
		{"too many in choice", `<report count="1">` + meta + `<note/><note/><note/></report>`, "element <note> is not expected here"},
		{"missing required element", `<report count="1"/>`, "content ends too early"},
		{"all: twice", `<report count="1"><meta><host>a</host><host>b</host></meta></report>`, "element <host> appears more than once"},
		{"all: required missing", `<report count="1"><meta><when>2024-01-02T03:04:05</when></meta></report>`, "required element <host> is missing"},
		{"text in element-only content", `<report count="1">stray` + meta + `</report>`, `text "stray" not allowed`},
		{"element in simple content", `<report count="1">` + meta + `<note><b/></note></report>`, "element <b> not allowed: the content is simple"},
		{"attribute on simple type element", `<report count="1">` + meta + `<note x="1"/></report>`, "attribute x is not declared"},
		{"text in empty content", `<report count="1">` + meta + `<empty>x</empty></report>`, "the content is empty"},
		{"element in empty content", `<report count="1">` + meta + `<empty><b/></empty></report>`, "element <b> is not allowed here"},
		{"not well formed", `<report count="1">` + meta, "reading XML"},
		{"forbidden character", "<report count=\"1\">" + meta + "<note>\x01</note></report>", "illegal character"},
		{"errors are all reported", `<report count="x" colour="red">` + meta + `</report>`, "attribute count: \"x\" is not a valid xs:int: not an integer\nline 1: /report: attribute colour is not declared"},
		{"error names line and path", "<report count=\"1\">\n" + meta + "\n<group name=\"g\">\n<item>z</item></group></report>", "line 4: /report/group/item:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate([]byte(tt.doc))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v, want valid", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate accepted the document, want an error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate: %v\nwant an error containing %q", err, tt.want)
			}
		})
	}
}

// TestParseRefuses holds the package to refusing what it does not
// interpret, rather than skipping it and passing documents it should not.
func TestParseRefuses(t *testing.T) {
	wrap := func(body string) string {
		return `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">` + body + `</xs:schema>`
	}
	tests := []struct{ name, schema, want string }{
		{"target namespace", `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x"/>`, "targetNamespace is not supported"},
		{"complexContent", wrap(`<xs:complexType name="t"><xs:complexContent><xs:extension base="t"/></xs:complexContent></xs:complexType>`), "<xs:complexContent> is not supported"},
		{"group", wrap(`<xs:group name="g"><xs:sequence/></xs:group>`), "<xs:group> is not supported"},
		{"element wildcard", wrap(`<xs:element name="e"><xs:complexType><xs:sequence><xs:any/></xs:sequence></xs:complexType></xs:element>`), "<xs:any> is not supported"},
		{"attribute wildcard", wrap(`<xs:element name="e"><xs:complexType><xs:anyAttribute/></xs:complexType></xs:element>`), "<xs:anyAttribute> is not supported"},
		{"attribute group", wrap(`<xs:element name="e"><xs:complexType><xs:attributeGroup ref="a"/></xs:complexType></xs:element>`), "<xs:attributeGroup> is not supported"},
		{"numeric facet", wrap(`<xs:simpleType name="s"><xs:restriction base="xs:int"><xs:minInclusive value="0"/></xs:restriction></xs:simpleType>`), "this facet is not supported"},
		{"list type", wrap(`<xs:simpleType name="s"><xs:list itemType="xs:int"/></xs:simpleType>`), "list, union"},
		{"unknown built-in", wrap(`<xs:element name="e" type="xs:float"/>`), "built-in type xs:float is not supported"},
		{"unknown element attribute", wrap(`<xs:element name="e" type="xs:string" nillable="true"/>`), "attribute nillable is not supported"},
		{"unknown type", wrap(`<xs:element name="e" type="nope"/>`), `type "nope" is not defined`},
		{"unknown ref", wrap(`<xs:element name="e"><xs:complexType><xs:sequence><xs:element ref="nope"/></xs:sequence></xs:complexType></xs:element>`), `element "nope" is not declared`},
		{"unicode block", wrap(`<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="\p{IsBasicLatin}+"/></xs:restriction></xs:simpleType>`), "Unicode block"},
		{"class subtraction", wrap(`<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="[a-z-[aeiou]]"/></xs:restriction></xs:simpleType>`), "subtraction"},
		{"name escape", wrap(`<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="\i\c*"/></xs:restriction></xs:simpleType>`), `escape \i is not supported`},
		{"maxOccurs below minOccurs", wrap(`<xs:element name="e"><xs:complexType><xs:sequence minOccurs="2" maxOccurs="1"/></xs:complexType></xs:element>`), "less than minOccurs"},
		{"not a schema", `<schema/>`, "not <xs:schema>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.schema))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestTranslateRegex(t *testing.T) {
	tests := []struct {
		name, pattern string
		match, miss   []string
	}{
		// The Jenkins xunit plugin's SUREFIRE_TIME.
		{"surefire time", `(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?`, []string{"", "0", "1.5", "1,234.567", "12"}, []string{"1.2345", "abc", "1e3"}},
		{"implicitly anchored", `ab`, []string{"ab"}, []string{"xab", "abx"}},
		{"caret and dollar are characters", `^a$`, []string{"^a$"}, []string{"a"}},
		{"alternatives grouped before anchoring", `a|b`, []string{"a", "b"}, []string{"ab", "xa"}},
		{"digit escape is Unicode", `\d+`, []string{"12", "١٢"}, []string{"1a"}},
		{"space escape is four characters", `a\sb`, []string{"a b", "a\tb"}, []string{"a\fb"}},
		{"negated class", `[^0-9]+`, []string{"ab"}, []string{"a1"}},
		{"category", `\p{Lu}\P{Lu}`, []string{"Ab"}, []string{"AB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := translateRegex(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.match {
				if !re.MatchString(s) {
					t.Errorf("%q does not match %q (as %s)", s, tt.pattern, re)
				}
			}
			for _, s := range tt.miss {
				if re.MatchString(s) {
					t.Errorf("%q matches %q (as %s)", s, tt.pattern, re)
				}
			}
		})
	}
}
