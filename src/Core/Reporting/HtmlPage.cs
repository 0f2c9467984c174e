using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace MnistCnn.Core.Reporting;

/// <summary>
/// Builds the self-contained report pages: inline CSS, inline script, pictures as data: URIs. Nothing is
/// fetched from anywhere, so a page opens from disk in any browser, offline.
/// </summary>
internal sealed class HtmlPage
{
    private const string Style = """
        body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; background: #fff; }
        h1 { font-size: 1.6em; margin: 0 0 4px 0; }
        h2 { font-size: 1.2em; margin: 28px 0 8px 0; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .sub { color: #666; margin-bottom: 16px; }
        table { border-collapse: collapse; font-size: 0.9em; margin: 4px 0 12px 0; }
        th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top; }
        th { background: #f0f3f6; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.num, table.sortable td { white-space: nowrap; }
        .scroll { overflow-x: auto; max-width: 100%; }
        tr.best td { background: #e6f4ea; font-weight: bold; }
        table.sortable th { cursor: pointer; user-select: none; }
        table.sortable th[data-order="asc"]::after { content: " \25B2"; }
        table.sortable th[data-order="desc"]::after { content: " \25BC"; }
        .status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 0.85em; }
        .status-Finished { background: #2e7d32; } .status-Failed { background: #c62828; }
        .status-Killed { background: #ef6c00; } .status-Running { background: #1565c0; }
        figure { margin: 8px 0 16px 0; }
        figure img { max-width: 100%; border: 1px solid #ddd; }
        figcaption { color: #555; font-size: 0.9em; }
        pre { background: #f6f8fa; padding: 8px; overflow-x: auto; }
        footer { margin-top: 32px; color: #888; font-size: 0.8em; }
        """;

    // Click a header to sort by it (numbers by data-sort, else text; empty cells last); a table with
    // data-sort-column / data-sort-order is sorted that way when the page opens.
    private const string SortScript = """
        (function () {
          function key(cell) {
            var v = cell.getAttribute('data-sort');
            if (v === null) v = cell.textContent.trim();
            if (v === '') return null;
            var n = Number(v);
            return isNaN(n) ? v.toLowerCase() : n;
          }
          function sort(table, col, asc) {
            var body = table.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var x = key(a.cells[col]), y = key(b.cells[col]);
              if (x === null || y === null) return (x === null) - (y === null);
              var c = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
              return asc ? c : -c;
            });
            rows.forEach(function (r) { body.appendChild(r); });
            Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('data-order'); });
            table.tHead.rows[0].cells[col].setAttribute('data-order', asc ? 'asc' : 'desc');
          }
          Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
            Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
              th.addEventListener('click', function () {
                sort(table, th.cellIndex, th.getAttribute('data-order') !== 'asc');
              });
            });
            var col = table.getAttribute('data-sort-column');
            if (col !== null) sort(table, parseInt(col, 10), table.getAttribute('data-sort-order') !== 'desc');
          });
        })();
        """;

    private readonly StringBuilder body = new();
    private readonly string title;

    public HtmlPage(string title) => this.title = title;

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    public static string Number(double? value, string format = "0.0000") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "";

    public static string Percent(double? value) => value is { } v && double.IsFinite(v) ? (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + "%" : "";

    public static string SortKey(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    public HtmlPage Raw(string html)
    {
        body.Append(html).Append('\n');
        return this;
    }

    public HtmlPage Heading(string text, int level = 2) => Raw($"<h{level}>{Encode(text)}</h{level}>");

    public HtmlPage Paragraph(string text, string? cssClass = null) =>
        Raw(cssClass is null ? $"<p>{Encode(text)}</p>" : $"<p class=\"{cssClass}\">{Encode(text)}</p>");

    public HtmlPage Figure(byte[] png, string alt, string caption, string id) =>
        Raw($"<figure id=\"{id}\"><img src=\"{DataUri(png)}\" alt=\"{Encode(alt)}\"><figcaption>{Encode(caption)}</figcaption></figure>");

    /// <summary>A two-column key/value table.</summary>
    public HtmlPage KeyValues(string id, IEnumerable<(string Key, string Value)> rows)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<table id=\"{id}\"><tbody>\n");
        foreach (var (key, value) in rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><th>{Encode(key)}</th><td>{Encode(value)}</td></tr>\n");
        }
        sb.Append("</tbody></table>");
        return Raw(sb.ToString());
    }

    /// <summary>A table; cells are already HTML (use <see cref="Cell"/> and <see cref="NumCell"/>).</summary>
    public HtmlPage Table(string id, IReadOnlyList<(string Header, bool Numeric)> columns, IEnumerable<string> rows, bool sortable = false,
        int? sortColumn = null, bool sortDescending = false)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<div class=\"scroll\"><table id=\"{id}\"");
        if (sortable) sb.Append(" class=\"sortable\"");
        if (sortColumn is { } col)
        {
            sb.Append(CultureInfo.InvariantCulture, $" data-sort-column=\"{col}\" data-sort-order=\"{(sortDescending ? "desc" : "asc")}\"");
        }
        sb.Append("><thead><tr>");
        foreach (var (header, numeric) in columns)
        {
            sb.Append(numeric ? "<th class=\"num\">" : "<th>").Append(Encode(header)).Append("</th>");
        }
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows) sb.Append(row).Append('\n');
        sb.Append("</tbody></table></div>");
        return Raw(sb.ToString());
    }

    public static string Row(IEnumerable<string> cells, string? cssClass = null) =>
        (cssClass is null ? "<tr>" : $"<tr class=\"{cssClass}\">") + string.Concat(cells) + "</tr>";

    public static string Cell(string? text) => $"<td>{Encode(text)}</td>";

    public static string NumCell(string text, double? sortKey) => $"<td class=\"num\" data-sort=\"{SortKey(sortKey)}\">{Encode(text)}</td>";

    public string Render()
    {
        string version = typeof(HtmlPage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{Encode(title)}</title>\n<style>\n{Style}\n</style>\n</head>\n<body>\n");
        sb.Append(body);
        sb.Append(CultureInfo.InvariantCulture, $"<footer>Written by MnistCnn {Encode(version)} on {DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)}.</footer>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<script>\n{SortScript}\n</script>\n</body>\n</html>\n");
        return sb.ToString();
    }
}
