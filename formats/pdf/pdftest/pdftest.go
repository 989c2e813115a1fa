// Package pdftest writes small, valid PDF documents for tests, fuzz seeds,
// benchmarks and the CLI: N pages of text, optionally an image, and
// incremental updates appended after signing. The files are real PDFs that
// poppler (pdfsig) and digitorus/pdf read; nothing is mocked.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Image is a greyscale image placed on the first page as an image XObject,
// stored as raw 8-bit pixels compressed with FlateDecode (how PDF writers
// usually store a QR code).
type Image struct {
	Width, Height int
	Gray          []byte // Width*Height bytes, row by row, 0 black .. 255 white
	// DCT, if set, is stored instead as a /DCTDecode (JPEG) stream.
	DCT []byte
}

// Options describe a generated document.
type Options struct {
	Pages int    // default 1
	Title string // default "Accord test document"
	Image *Image // optional, drawn on page 1
	// PadPage adds this many bytes of text operators to each page's
	// content stream, to make large documents for benchmarks.
	PadPage int
	// Placement says how page 1 shows Image: directly (the default),
	// through a form XObject, or as the appearance of a stamp annotation
	// (a visible seal).
	Placement Placement
	// ObjectStream puts every object that is not a stream (catalog, page
	// tree, pages, font, info, annotation) into a compressed object stream,
	// with a cross-reference stream (PDF 1.5), as many producers write.
	ObjectStream bool
	// SignatureField adds an empty signature field (a /FT /Sig widget on
	// page 1 with no value, listed in the AcroForm), for signers that sign
	// an existing field, such as mutool sign. Its object number is
	// SignatureFieldObject(o).
	SignatureField bool
}

// SignatureFieldObject returns the object number of the empty signature
// field Document writes for o (when o.SignatureField is set).
func SignatureFieldObject(o Options) int {
	if o.Pages <= 0 {
		o.Pages = 1
	}
	n := 4 + 2*o.Pages
	if o.Image != nil {
		n++
		if o.Placement != OnPage {
			n += 2
		}
	}
	return n + 1
}

// Placement is how a page shows its image.
type Placement int

// Placements of the image.
const (
	OnPage       Placement = iota // the page's content draws the image XObject
	InForm                        // the page draws a form XObject that draws the image
	InAnnotation                  // a stamp annotation's appearance (a form XObject) draws it
)

// Document returns a PDF 1.7 file with a classic cross-reference table.
//
// Object numbers: 1 catalog, 2 page tree, 3 font, 4 info, then for page i
// (0-based) 5+2i the page and 6+2i its content stream, then the image.
func Document(o Options) []byte {
	if o.Pages <= 0 {
		o.Pages = 1
	}
	if o.Title == "" {
		o.Title = "Accord test document"
	}
	var b bytes.Buffer
	var offs []int
	var packed []packedObj // objects for the object stream
	obj := func(body string, stream []byte) {
		if o.ObjectStream && stream == nil {
			offs = append(offs, -1)
			packed = append(packed, packedObj{len(offs), body})
			return
		}
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offs), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	imgObj := 5 + 2*o.Pages
	kids := new(bytes.Buffer)
	for i := 0; i < o.Pages; i++ {
		fmt.Fprintf(kids, "%d 0 R ", 5+2*i)
	}
	sigField := SignatureFieldObject(o)
	if o.SignatureField {
		obj(fmt.Sprintf("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%d 0 R] /SigFlags 3 >> >>", sigField), nil)
	} else {
		obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), o.Pages), nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", nil)
	obj(fmt.Sprintf("<< /Title (%s) /Producer (accord pdftest) >>", o.Title), nil)
	for i := 0; i < o.Pages; i++ {
		res := "/Font << /F1 3 0 R >>"
		content := fmt.Sprintf("BT /F1 18 Tf 72 760 Td (%s) Tj ET\nBT /F1 12 Tf 72 730 Td (Page %d of %d) Tj ET\n", o.Title, i+1, o.Pages)
		annots := ""
		if i == 0 && o.SignatureField {
			annots = fmt.Sprintf(" /Annots [%d 0 R]", sigField)
		}
		if i == 0 && o.Image != nil {
			switch o.Placement {
			case InForm:
				res += fmt.Sprintf(" /XObject << /Fm1 %d 0 R >>", imgObj+1)
				content += "q 200 0 0 200 72 400 cm /Fm1 Do Q\n"
			case InAnnotation:
				annots = strings.TrimSuffix(annots, "]") + fmt.Sprintf(" %d 0 R]", imgObj+2)
				if !o.SignatureField {
					annots = fmt.Sprintf(" /Annots [%d 0 R]", imgObj+2)
				}
			default:
				res += fmt.Sprintf(" /XObject << /Im1 %d 0 R >>", imgObj)
				content += "q 200 0 0 200 72 400 cm /Im1 Do Q\n"
			}
		}
		if o.PadPage > 0 {
			var pad bytes.Buffer
			for y := 0; pad.Len() < o.PadPage; y++ {
				fmt.Fprintf(&pad, "BT /F1 8 Tf 72 %d Td (Line %d of padding text for benchmarks) Tj ET\n", 700-(y%80)*8, y)
			}
			content += pad.String()
		}
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << %s >> /Contents %d 0 R%s >>", res, 6+2*i, annots), nil)
		obj(fmt.Sprintf("<< /Length %d >>", len(content)), []byte(content))
	}
	if im := o.Image; im != nil {
		if im.DCT != nil {
			obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>",
				im.Width, im.Height, len(im.DCT)), im.DCT)
		} else {
			var z bytes.Buffer
			w := zlib.NewWriter(&z)
			_, _ = w.Write(im.Gray)
			_ = w.Close()
			obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>",
				im.Width, im.Height, z.Len()), z.Bytes())
		}
	}
	if im := o.Image; im != nil && o.Placement != OnPage {
		draw := "q 1 0 0 1 0 0 cm /Im1 Do Q\n"
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Im1 %d 0 R >> >> /Length %d >>", imgObj, len(draw)), []byte(draw))
		obj(fmt.Sprintf("<< /Type /Annot /Subtype /Stamp /Rect [72 400 272 600] /AP << /N %d 0 R >> >>", imgObj+1), nil)
	}
	if o.SignatureField {
		obj("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [72 600 272 700] /F 4 /P 5 0 R >>", nil)
	}
	if o.ObjectStream {
		return finishWithObjectStream(&b, offs, packed)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, off := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<<\n  /Size %d\n  /Root 1 0 R\n  /Info 4 0 R\n>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// packedObj is an object written into the object stream.
type packedObj struct {
	num  int
	body string
}

// finishWithObjectStream writes the packed objects as one FlateDecode
// object stream and ends the file with a cross-reference stream
// (ISO 32000-1 §7.5.7, §7.5.8).
func finishWithObjectStream(b *bytes.Buffer, offs []int, packed []packedObj) []byte {
	var hdr, body bytes.Buffer
	index := map[int]int{}
	for i, p := range packed {
		fmt.Fprintf(&hdr, "%d %d ", p.num, body.Len())
		body.WriteString(p.body + "\n")
		index[p.num] = i
	}
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write(hdr.Bytes())
	_, _ = w.Write(body.Bytes())
	_ = w.Close()
	stm := len(offs) + 1
	offs = append(offs, b.Len())
	fmt.Fprintf(b, "%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n", stm, len(packed), hdr.Len(), z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	xrefNum := len(offs) + 1
	offs = append(offs, b.Len())
	var rows bytes.Buffer
	row := func(typ byte, f2 int, f3 int) {
		rows.Write([]byte{typ, byte(f2 >> 24), byte(f2 >> 16), byte(f2 >> 8), byte(f2), byte(f3 >> 8), byte(f3)})
	}
	row(0, 0, 65535)
	for i, off := range offs {
		if off < 0 {
			row(2, stm, index[i+1])
		} else {
			row(1, off, 0)
		}
	}
	fmt.Fprintf(b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Info 4 0 R /Length %d >>\nstream\n", xrefNum, len(offs)+1, rows.Len())
	b.Write(rows.Bytes())
	fmt.Fprintf(b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", offs[xrefNum-1])
	return b.Bytes()
}

var (
	reStartXref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	reSize      = regexp.MustCompile(`/Size\s+(\d+)`)
	reRoot      = regexp.MustCompile(`/Root\s+(\d+\s+\d+\s+R)`)
)

// Update is an incremental update appended after the last revision.
type Update int

// Kinds of incremental update.
const (
	// AddAnnotation adds a text annotation (a sticky note) to page 1,
	// rewriting the page object to reference it.
	AddAnnotation Update = iota + 1
	// ReplaceContent replaces page 1's content stream with other text: what a
	// forger does to change what a signed document says.
	ReplaceContent
	// RepointContent rewrites page 1 to show page 2's existing content
	// stream: no new content object, only a changed page dictionary. The
	// document needs at least two pages.
	RepointContent
)

// Append writes an incremental update to doc (a PDF with a classic xref
// table, such as Document or one signed by pdfsign produces): a new body
// section, an xref section chaining to the previous one with /Prev, and a
// trailer. It is how an editor saves changes to a signed file.
func Append(doc []byte, u Update) ([]byte, error) {
	m := reStartXref.FindSubmatch(doc)
	if m == nil {
		return nil, fmt.Errorf("pdftest: no startxref at the end of the document")
	}
	prev, _ := strconv.Atoi(string(m[1]))
	sizes := reSize.FindAllSubmatch(doc, -1)
	roots := reRoot.FindAllSubmatch(doc, -1)
	if len(sizes) == 0 || len(roots) == 0 {
		return nil, fmt.Errorf("pdftest: no trailer /Size or /Root")
	}
	size, _ := strconv.Atoi(string(sizes[len(sizes)-1][1]))
	root := string(roots[len(roots)-1][1])

	var b bytes.Buffer
	b.Write(doc)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		b.WriteByte('\n')
	}
	type ent struct{ id, off int }
	var ents []ent
	obj := func(id int, body string) {
		ents = append(ents, ent{id, b.Len()})
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", id, body)
	}
	newSize := size
	switch u {
	case AddAnnotation:
		annot := size
		newSize = size + 1
		obj(annot, "<< /Type /Annot /Subtype /Text /Rect [72 600 92 620] /Contents (Approved with changes) /P 5 0 R >>")
		obj(5, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 6 0 R /Annots [%d 0 R] >>", annot))
	case ReplaceContent:
		content := "BT /F1 18 Tf 72 760 Td (Amount due: 1,000,000 EUR) Tj ET\n"
		obj(6, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	case RepointContent:
		obj(5, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 8 0 R >>")
	default:
		return nil, fmt.Errorf("pdftest: unknown update %d", u)
	}
	xref := b.Len()
	b.WriteString("xref\n")
	for _, e := range ents {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", e.id, e.off)
	}
	fmt.Fprintf(&b, "trailer\n<<\n  /Size %d\n  /Root %s\n  /Prev %d\n>>\nstartxref\n%d\n%%%%EOF\n", newSize, root, prev, xref)
	return b.Bytes(), nil
}
