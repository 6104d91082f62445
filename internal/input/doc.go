// Package input reads the files users give: one phone number per line, CSV
// and TSV tables, and XLSX workbooks, told apart by their content.
//
//   - Detect names what a file is from its first bytes: text, a zip (an
//     XLSX workbook), or something to refuse with a reason (a legacy .xls, a
//     password-protected workbook, an OpenDocument spreadsheet, PDF, HTML...).
//   - Decoder turns UTF-8 (with or without BOM), UTF-16 and Windows-1252
//     text into UTF-8, passing UTF-8 through byte for byte.
//   - OpenText sniffs a text file's separator (comma, semicolon, tab or
//     pipe, RFC 4180 quoting): a table, or a file of one value per line,
//     which is handed back unchanged.
//   - OpenWorkbook reads a sheet with package xlsx.
//
// A Table has its header found (or its columns named Column A, B, ...), and
// its phone and region columns chosen: by the options, else by a header
// named like a phone column in English, German, French, Spanish, Italian or
// Portuguese, else by which column's values parse best.
package input
