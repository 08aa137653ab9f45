using System.Text;

namespace PortMismatch.Detection.Interop.Splunk;

/// <summary>One cell of a CSV record with where it starts (1-based line and column).</summary>
internal readonly record struct CsvCell(string Text, int Line, int Column);

/// <summary>
/// Reads RFC 4180 CSV: fields separated by commas, records by CRLF or LF; a field in double quotes may hold commas, line
/// breaks and <c>""</c> for a quote. A quote inside an unquoted field, text after a closing quote and an unterminated quote
/// are errors with their line and column. A UTF-8 byte order mark at the start is skipped.
/// </summary>
internal static class SplunkCsv
{
    public static List<List<CsvCell>> Read(string text, string sourceName)
    {
        var records = new List<List<CsvCell>>();
        var record = new List<CsvCell>();
        var field = new StringBuilder();
        int line = 1, column = 1, i = 0;
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            i = 1;
        }

        while (true)
        {
            // at the start of a field
            var startLine = line;
            var startColumn = column;
            field.Clear();
            var quoted = i < text.Length && text[i] == '"';
            if (quoted)
            {
                i++;
                column++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new RuleImportException(sourceName, startLine, startColumn, "the quoted field has no closing quote; a quote inside a quoted field is written \"\"");
                    }

                    var c = text[i];
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            column += 2;
                            continue;
                        }

                        i++;
                        column++;
                        break;
                    }

                    field.Append(c);
                    i++;
                    if (c == '\n')
                    {
                        line++;
                        column = 1;
                    }
                    else
                    {
                        column++;
                    }
                }

                if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    throw new RuleImportException(sourceName, line, column, "text after the closing quote of a field; expected a comma or the end of the line");
                }
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    if (text[i] == '"')
                    {
                        throw new RuleImportException(sourceName, line, column, "a quote inside an unquoted field; quote the whole field and write the quote as \"\"");
                    }

                    field.Append(text[i]);
                    i++;
                    column++;
                }
            }

            record.Add(new CsvCell(field.ToString(), startLine, startColumn));
            if (i < text.Length && text[i] == ',')
            {
                i++;
                column++;
                continue;
            }

            // end of a record (line break or end of text)
            // a blank line (one empty unquoted field) is no record; "" (a quoted empty field) is one
            if (!(record.Count == 1 && !quoted && record[0].Text.Length == 0))
            {
                records.Add(record);
            }

            record = [];
            if (i >= text.Length)
            {
                break;
            }

            if (text[i] == '\r')
            {
                i++;
            }

            if (i < text.Length && text[i] == '\n')
            {
                i++;
            }

            line++;
            column = 1;
            if (i >= text.Length)
            {
                break;
            }
        }

        return records;
    }
}
