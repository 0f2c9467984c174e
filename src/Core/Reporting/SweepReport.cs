using System.Globalization;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Reporting;

/// <summary>
/// One trial of a sweep: its label (e.g. "lr=0.01"), its result, and the settings the sweep varied.
/// <paramref name="ModelParameters"/> gives the model's parameter count where <see cref="TrainingResult.Model"/> does
/// not hold the layers (runs read back from an MLflow server).
/// </summary>
public sealed record SweepTrial(string Label, TrainingResult Result, IReadOnlyDictionary<string, string>? Parameters = null, long? ModelParameters = null);

/// <summary>The files <see cref="SweepReport.Write(string, IReadOnlyList{SweepTrial}, string)"/> wrote.</summary>
public sealed record SweepReportFiles(string Folder, string Html, string? Curves);

/// <summary>
/// A page that compares the trials of a sweep: a sortable table (click a header; sorted by test accuracy,
/// best first, when it opens) and the curves of all trials on one chart, in one self-contained <c>sweep.html</c>.
/// </summary>
public static class SweepReport
{
    public const string HtmlFile = "sweep.html";
    public const string CurvesFile = "sweep-curves.png";

    /// <summary>Writes <c>sweep.html</c> and <c>sweep-curves.png</c> into <paramref name="folder"/> (created if missing).</summary>
    public static SweepReportFiles Write(string folder, IReadOnlyList<SweepTrial> trials, string title = "Sweep")
    {
        ArgumentNullException.ThrowIfNull(trials);
        if (trials.Count == 0)
        {
            throw new MnistCnnException(ReportingErrorIds.SweepReportEmpty, ErrorKind.InvalidArgument, "The sweep has no trials to compare; pass at least one training result.", null);
        }
        string full = PictureFiles.Folder(folder);
        byte[]? curves = trials.Any(t => t.Result.Epochs.Count > 0)
            ? TrainingCharts.SweepCurves(trials.Select(t => new CurveSeries(t.Label, t.Result.Epochs)).ToArray())
            : null;
        string? curvesPath = null;
        if (curves is not null)
        {
            curvesPath = Path.Combine(full, CurvesFile);
            PictureFiles.Write(curvesPath, curves);
        }
        string htmlPath = Path.Combine(full, HtmlFile);
        PictureFiles.WriteText(htmlPath, Html(trials, title, curves, full));
        return new SweepReportFiles(full, htmlPath, curvesPath);
    }

    /// <summary>
    /// Writes the sweep report of <paramref name="results"/>; <paramref name="labels"/> name the trials (null or
    /// shorter: the run names).
    /// </summary>
    public static SweepReportFiles Write(string folder, IReadOnlyList<TrainingResult> results, IReadOnlyList<string>? labels, string title = "Sweep")
    {
        ArgumentNullException.ThrowIfNull(results);
        var trials = results.Select((r, i) => new SweepTrial(labels is not null && i < labels.Count ? labels[i] : r.RunName, r)).ToArray();
        return Write(folder, trials, title);
    }

    /// <summary>The page itself. Links to each trial's report.html when it exists, relative to <paramref name="folder"/>.</summary>
    public static string Html(IReadOnlyList<SweepTrial> trials, string title, byte[]? curves, string? folder = null)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var inv = CultureInfo.InvariantCulture;
        var parameterNames = trials.SelectMany(t => t.Parameters?.Keys ?? Enumerable.Empty<string>()).Distinct(StringComparer.Ordinal).ToArray();
        double? bestTest = trials.Select(t => t.Result.TestAccuracy).Where(a => a is not null).DefaultIfEmpty(null).Max();

        var page = new HtmlPage($"{title}: MnistCnn sweep report");
        page.Heading(title, 1);
        int finished = trials.Count(t => t.Result.Status == RunStatus.Finished);
        page.Paragraph(string.Create(inv, $"{trials.Count} trials, {finished} finished. Click a column header to sort; the best test accuracy is highlighted."), "sub");

        var columns = new List<(string, bool)> { ("#", true), ("Trial", false) };
        columns.AddRange(parameterNames.Select(p => (p, false)));
        columns.AddRange(new[]
        {
            ("Run", false), ("Status", false), ("Epochs", true), ("Loss", true), ("Accuracy", true), ("Validation loss", true),
            ("Validation accuracy", true), ("Test loss", true), ("Test accuracy", true), ("Seconds", true), ("Optimizer", false),
            ("Learning rate", true), ("Batch", true), ("Parameters", true),
        });
        int testAccuracyColumn = columns.FindIndex(c => c.Item1 == "Test accuracy");

        var rows = trials.Select((trial, i) =>
        {
            var r = trial.Result;
            var last = r.Epochs.Count > 0 ? r.Epochs[^1] : null;
            var cells = new List<string> { HtmlPage.NumCell((i + 1).ToString(inv), i + 1), HtmlPage.Cell(trial.Label) };
            foreach (var p in parameterNames)
            {
                string value = trial.Parameters is not null && trial.Parameters.TryGetValue(p, out var v) ? v : "";
                cells.Add(double.TryParse(value, NumberStyles.Float, inv, out double d) ? HtmlPage.NumCell(value, d) : HtmlPage.Cell(value));
            }
            cells.Add(RunCell(r, folder));
            cells.Add(HtmlPage.Cell(r.Status.ToString()));
            cells.Add(HtmlPage.NumCell(r.Epochs.Count.ToString(inv), r.Epochs.Count));
            cells.Add(HtmlPage.NumCell(HtmlPage.Number(last?.Loss), last?.Loss));
            cells.Add(HtmlPage.NumCell(HtmlPage.Percent(last?.Accuracy), last?.Accuracy));
            cells.Add(HtmlPage.NumCell(HtmlPage.Number(last?.ValidationLoss), last?.ValidationLoss));
            cells.Add(HtmlPage.NumCell(HtmlPage.Percent(last?.ValidationAccuracy), last?.ValidationAccuracy));
            cells.Add(HtmlPage.NumCell(HtmlPage.Number(r.TestLoss), r.TestLoss));
            cells.Add(HtmlPage.NumCell(HtmlPage.Percent(r.TestAccuracy), r.TestAccuracy));
            cells.Add(HtmlPage.NumCell(r.TrainSeconds.ToString("0.0", inv), r.TrainSeconds));
            cells.Add(HtmlPage.Cell(r.Options.Optimizer.ToString()));
            cells.Add(HtmlPage.NumCell(r.Options.EffectiveLearningRate.ToString("G4", inv), r.Options.EffectiveLearningRate));
            cells.Add(HtmlPage.NumCell(r.Options.BatchSize.ToString(inv), r.Options.BatchSize));
            long? parameters = trial.ModelParameters ?? ParameterCount(r);
            cells.Add(HtmlPage.NumCell(parameters?.ToString("N0", inv) ?? "", parameters));
            bool best = bestTest is not null && r.TestAccuracy == bestTest;
            return HtmlPage.Row(cells, best ? "best" : null);
        });
        page.Heading("Trials");
        page.Table("trials", columns, rows, sortable: true, sortColumn: testAccuracyColumn, sortDescending: true);
        if (curves is not null)
        {
            page.Heading("Curves");
            page.Figure(curves, "Loss and accuracy per epoch of every trial",
                "Loss (left) and accuracy (right) per epoch, one colour per trial: training solid, validation dashed where the trial held data out.", "curves");
        }
        return page.Render();
    }

    private static string RunCell(TrainingResult r, string? folder)
    {
        if (folder is not null && r.OutputPath is { Length: > 0 } output)
        {
            string report = Path.Combine(Path.GetFullPath(output), RunReport.HtmlFile);
            if (File.Exists(report))
            {
                string relative = Path.GetRelativePath(folder, report).Replace('\\', '/');
                string href = string.Join('/', relative.Split('/').Select(Uri.EscapeDataString));
                return $"<td><a href=\"{HtmlPage.Encode(href)}\">{HtmlPage.Encode(r.RunName)}</a></td>";
            }
        }
        return HtmlPage.Cell(r.RunName);
    }

    private static long? ParameterCount(TrainingResult r)
    {
        try
        {
            return r.Model.ParameterCount;
        }
        catch (MnistCnnException)
        {
            return null;
        }
    }
}
