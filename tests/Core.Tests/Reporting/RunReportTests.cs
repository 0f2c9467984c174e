using System.Text.RegularExpressions;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Reporting;

namespace MnistCnn.Core.Tests.Reporting;

public class RunReportTests
{
    private sealed class RecordingReporter : IReporter
    {
        public List<string> Warnings { get; } = new();
        public void Progress(ProgressInfo progress) { }
        public void Warning(string message) => Warnings.Add(message);
        public void Verbose(string message) { }
    }

    [Fact]
    public void WritesThePicturesAndAReportThatEmbedsThem()
    {
        using var temp = new Fakes.TempFolder();
        var test = Fakes.Split(200);
        var result = Fakes.Result(epochs: 5, validation: true, test: Fakes.Evaluation(test.Labels));
        var fashion = MnistDataset.ClassNamesOf(DatasetKind.FashionMnist);

        var files = RunReport.Write(Path.Combine(temp.Path, "run"), result, test, fashion);

        foreach (var png in new[] { files.Curves, files.Confusion, files.Misclassified })
        {
            Assert.NotNull(png);
            using var bitmap = Fakes.Decode(png!);
            Assert.True(bitmap.Width > 100 && bitmap.Height > 100);
        }
        Assert.Equal(new[] { "confusion.png", "curves.png", "misclassified.png", "report.html" },
            Directory.GetFiles(files.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        string html = File.ReadAllText(files.Html);
        // Each picture is embedded byte for byte.
        foreach (var png in new[] { files.Curves!, files.Confusion!, files.Misclassified! })
        {
            Assert.Contains("data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(png)), html, StringComparison.Ordinal);
        }
        // One row per epoch, with its loss.
        var epochs = Section(html, "epochs");
        Assert.Equal(5, Regex.Matches(epochs, "<tr>").Count - 1);
        Assert.Contains(">0.3333<", epochs, StringComparison.Ordinal);
        // Per-class rows with Fashion names, every model layer, the settings.
        var classes = Section(html, "classes");
        Assert.Equal(10, Regex.Matches(classes, "<tr>").Count - 1);
        Assert.Contains("Ankle boot", classes, StringComparison.Ordinal);
        foreach (var layer in result.Model.Summarize()) Assert.Contains(">" + layer.Name + "<", Section(html, "model"), StringComparison.Ordinal);
        Assert.Contains(">93,322<", Section(html, "model"), StringComparison.Ordinal);
        Assert.Contains("<th>BatchSize</th><td>64</td>", Section(html, "settings"), StringComparison.Ordinal);
        Assert.Contains("<th>Seed</th><td>42</td>", Section(html, "settings"), StringComparison.Ordinal);
        Assert.Contains(result.RunId, html, StringComparison.Ordinal);
    }

    [Fact]
    public void PerClassPrecisionAndRecallMatchTheConfusionMatrix()
    {
        var test = Fakes.Split(100);
        var evaluation = Fakes.Evaluation(test.Labels);
        var result = Fakes.Result(test: evaluation);
        var names = MnistDataset.ClassNamesOf(DatasetKind.Mnist);
        string html = RunReport.Html(result, names, null, null, null);
        var metrics = ClassMetrics.FromConfusion(evaluation.ConfusionMatrix(10), names);
        var classes = Section(html, "classes");
        foreach (var m in metrics)
        {
            Assert.Contains($"data-sort=\"{HtmlPage.SortKey(m.Precision)}\">{HtmlPage.Percent(m.Precision)}<", classes, StringComparison.Ordinal);
            Assert.Contains($"data-sort=\"{HtmlPage.SortKey(m.Recall)}\">{HtmlPage.Percent(m.Recall)}<", classes, StringComparison.Ordinal);
        }
        // Class 3 of the fake data has wrong predictions, so its recall is below 100%.
        Assert.True(metrics[3].Recall < 1);
    }

    [Fact]
    public void ReportIsSelfContained()
    {
        using var temp = new Fakes.TempFolder();
        var test = Fakes.Split(50);
        var files = RunReport.Write(temp.Path, Fakes.Result(test: Fakes.Evaluation(test.Labels)), test, null);
        string html = File.ReadAllText(files.Html);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"(?!data:|#)", html);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void RunWithoutTestResultLeavesOutItsPicturesAndRemovesStaleOnes()
    {
        using var temp = new Fakes.TempFolder();
        File.WriteAllText(Path.Combine(temp.Path, RunReport.ConfusionFile), "old");
        File.WriteAllText(Path.Combine(temp.Path, RunReport.MisclassifiedFile), "old");
        var files = RunReport.Write(temp.Path, Fakes.Result(test: null), Fakes.Split(10), null);
        Assert.NotNull(files.Curves);
        Assert.Null(files.Confusion);
        Assert.Null(files.Misclassified);
        Assert.False(File.Exists(Path.Combine(temp.Path, RunReport.ConfusionFile)));
        Assert.False(File.Exists(Path.Combine(temp.Path, RunReport.MisclassifiedFile)));
        string html = File.ReadAllText(files.Html);
        Assert.Single(Regex.Matches(html, "data:image/png;base64,"));
        Assert.DoesNotContain("id=\"classes\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void HtmlEscapesNamesAndShowsTheError()
    {
        var result = Fakes.Result(runName: "<b>bold</b> & co", test: null);
        var failed = new MnistCnn.Core.Training.TrainingResult
        {
            RunId = result.RunId, RunName = result.RunName, Model = result.Model, Options = result.Options, Dataset = result.Dataset,
            Epochs = result.Epochs, Status = MnistCnn.Core.Training.RunStatus.Failed, Device = "cpu", StartTime = result.StartTime, EndTime = result.EndTime,
            Error = "Loss became NaN <here>",
        };
        string html = RunReport.Html(failed, RunReport.ResolveClassNames(10, null), null, null, null);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt; &amp; co", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>bold</b>", html, StringComparison.Ordinal);
        Assert.Contains("Loss became NaN &lt;here&gt;", html, StringComparison.Ordinal);
        Assert.Contains("status-Failed", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongClassNamesOrTestSplitFailWithStableIds()
    {
        using var temp = new Fakes.TempFolder();
        var test = Fakes.Split(20);
        var result = Fakes.Result(test: Fakes.Evaluation(test.Labels));
        Assert.Equal("ReportClassNamesMismatch", Assert.Throws<MnistCnnException>(() => RunReport.Write(temp.Path, result, test, new[] { "x" })).ErrorId);
        Assert.Equal("ReportTestSplitMismatch", Assert.Throws<MnistCnnException>(() => RunReport.Write(temp.Path, result, Fakes.Split(21), null)).ErrorId);
    }

    [Fact]
    public void TryWriteTurnsAFailureIntoAWarning()
    {
        using var temp = new Fakes.TempFolder();
        string blocker = Path.Combine(temp.Path, "file");
        File.WriteAllText(blocker, "not a folder");
        var reporter = new RecordingReporter();
        var files = RunReport.TryWrite(Path.Combine(blocker, "run"), Fakes.Result(), null, null, reporter);
        Assert.Null(files);
        var warning = Assert.Single(reporter.Warnings);
        Assert.Contains("not written", warning, StringComparison.Ordinal);
    }

    /// <summary>The HTML of the table with the given id.</summary>
    internal static string Section(string html, string id) => Fakes.Section(html, id);
}
