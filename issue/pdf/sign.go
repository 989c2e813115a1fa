// Package pdf issues signed PDFs: it adds a PAdES signature, or a document
// timestamp, to a PDF as an incremental update. Verifying them is
// formats/pdf's job; an application that only verifies need not import
// this package.
//
// Callers usually import it under an alias beside the verifier:
//
//	pdfissue "github.com/accord-network/accord/issue/pdf"
package pdf

import "github.com/accord-network/accord/internal/pdfsign"

// SignOptions describe a signature to add to a PDF: the signer's key and
// certificate (with the chain to embed), the signature dictionary's fields,
// an optional RFC 3161 TSA, certification (DocMDP) or a document timestamp.
// See the field documentation in the definition.
type SignOptions = pdfsign.Options

// Sign adds a signature to in as an incremental update, and returns the
// signed file. Signing an already signed file keeps its earlier signatures
// valid (each covers its own revision). Input that is not a readable PDF
// gives an error wrapping verify.ErrMalformed.
func Sign(in []byte, o SignOptions) ([]byte, error) { return pdfsign.Sign(in, o) }
