using System.Text.RegularExpressions;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Reporting;

public class SweepReportTests
{
    /// <summary>Three trials; the second has the best test accuracy (fewest wrong predictions).</summary>
    internal static IReadOnlyList<SweepTrial> Trials(string? runsFolder = null) => Fakes.SweepTrials(runsFolder);

    [Fact]
    public void SweepReportComparesTheTrialsInASortableTable()
    {
        using var temp = new Fakes.TempFolder();
        var trials = Trials();
        var files = SweepReport.Write(Path.Combine(temp.Path, "sweep"), trials, "Learning-rate sweep");

        Assert.NotNull(files.Curves);
        using (var bitmap = Fakes.Decode(files.Curves!)) Assert.Equal(1400, bitmap.Width);
        string html = File.ReadAllText(files.Html);
        Assert.Contains("data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(files.Curves!)), html, StringComparison.Ordinal);
        var table = RunReportTests.Section(html, "trials");
        Assert.Contains("class=\"sortable\"", table, StringComparison.Ordinal);
        var rows = Regex.Matches(table, "<tr[ >]").Count - 1;
        Assert.Equal(3, rows);
        foreach (var t in trials)
        {
            Assert.Contains(">" + t.Label + "<", table, StringComparison.Ordinal);
            Assert.Contains(">" + HtmlPage.Percent(t.Result.TestAccuracy) + "<", table, StringComparison.Ordinal);
        }
        // The varied parameter is a column; the best trial's row is highlighted.
        Assert.Contains("<th>LearningRate</th>", table, StringComparison.Ordinal);
        var best = Regex.Match(table, "<tr class=\"best\">(.*?)</tr>").Groups[1].Value;
        Assert.Contains(">trial-1<", best, StringComparison.Ordinal);
        // Opens sorted by test accuracy, best first.
        var headers = Regex.Matches(table, "<th[^>]*>([^<]*)</th>").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains($"data-sort-column=\"{headers.IndexOf("Test accuracy")}\" data-sort-order=\"desc\"", table, StringComparison.Ordinal);
    }

    [Fact]
    public void TrialsLinkToTheirRunReports()
    {
        using var temp = new Fakes.TempFolder();
        var trials = Trials(Path.Combine(temp.Path, "runs"));
        RunReport.Write(trials[0].Result.OutputPath!, trials[0].Result, null, null);
        var files = SweepReport.Write(Path.Combine(temp.Path, "sweep"), trials);
        string html = File.ReadAllText(files.Html);
        Assert.Contains("<a href=\"../runs/trial%200/report.html\">trial-0</a>", html, StringComparison.Ordinal);
        // Trials without a report are not linked.
        Assert.Contains("<td>trial-1</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ResultsWithoutLabelsUseRunNames()
    {
        using var temp = new Fakes.TempFolder();
        var results = Trials().Select(t => t.Result).ToArray();
        var files = SweepReport.Write(temp.Path, results, new[] { "first" });
        string table = RunReportTests.Section(File.ReadAllText(files.Html), "trials");
        Assert.Contains("<td>first</td>", table, StringComparison.Ordinal);
        Assert.Contains("<td>trial-2</td><td>trial-2</td>", table, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptySweepFailsClearly()
    {
        using var temp = new Fakes.TempFolder();
        var ex = Assert.Throws<MnistCnnException>(() => SweepReport.Write(temp.Path, Array.Empty<SweepTrial>()));
        Assert.Equal("SweepReportEmpty", ex.ErrorId);
    }
}
