using System.Text;
using PortMismatch.Detection.Reporting.Internal;

namespace PortMismatch.Detection.Reporting;

/// <summary>
/// Writes rows as one self-contained HTML report: the run (inputs, counters with reasons, rule set, allow-list removals), a
/// timeline of findings per rule and the top sources, destinations and app/port pairs as inline SVG, and the full table of
/// rows. The file needs nothing but a browser: no request leaves it when it is opened (a Content-Security-Policy allows only
/// its own inline style and script, by hash), the table and charts are HTML and SVG written here (readable without
/// JavaScript), and its small script sorts and filters the table.
/// </summary>
/// <remarks>
/// Every text from the data (apps, addresses, input names, rule names, allow-list entries) is escaped for HTML text and
/// attributes; the data the script needs is JSON in a <c>&lt;script type="application/json"&gt;</c> block with <c>&lt;</c>,
/// <c>&gt;</c>, <c>&amp;</c>, quotes and every non-ASCII character (U+2028 and U+2029 among them) escaped as <c>\uXXXX</c>,
/// so no data can end the block or start markup. The script puts data into the page through <c>textContent</c> only.
/// A row takes at most about 400 bytes of the file plus its app text (the README states the measured sizes).
/// </remarks>
public static class HtmlReport
{
    /// <summary>Writes the report.</summary>
    /// <param name="destination">The stream to write to (left open).</param>
    /// <param name="rows">The rows, in the order of the table.</param>
    /// <param name="run">What to say about the run, or <see langword="null"/> for the rows alone.</param>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> or <paramref name="rows"/> is <see langword="null"/>.</exception>
    public static void Write(Stream destination, IReadOnlyList<MismatchRow> rows, HtmlReportRun? run)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(rows);
        using var writer = new StreamWriter(destination, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        new ReportDocument(writer, rows, run ?? HtmlReportRun.Empty).Write();
        writer.Flush();
    }

    /// <summary>Writes the report to a file, replacing it.</summary>
    /// <param name="path">The file.</param>
    /// <param name="rows">The rows, in the order of the table.</param>
    /// <param name="run">What to say about the run, or <see langword="null"/> for the rows alone.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IReadOnlyList<MismatchRow> rows, HtmlReportRun? run)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(file, rows, run);
    }
}
