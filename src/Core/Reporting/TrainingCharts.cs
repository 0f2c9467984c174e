using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;
using ScottPlot;
using SkiaSharp;

namespace MnistCnn.Core.Reporting;

/// <summary>One line series of a sweep chart: a trial's label and its epochs.</summary>
public sealed record CurveSeries(string Label, IReadOnlyList<EpochResult> Epochs);

/// <summary>
/// The pictures of a finished run, drawn with ScottPlot (charts) and SkiaSharp (image grids), as PNG bytes:
/// loss and accuracy per epoch, the confusion matrix, and the most confident mistakes.
/// </summary>
public static class TrainingCharts
{
    private static readonly Color Train = Color.FromHex("#1f77b4");
    private static readonly Color Validation = Color.FromHex("#ff7f0e");

    /// <summary>
    /// Two panels side by side: loss (left) and accuracy (right) per epoch, training as a solid line and
    /// validation (when the run held some out) as a dashed one.
    /// </summary>
    public static byte[] Curves(IReadOnlyList<EpochResult> epochs, string? title = null, int width = 1200, int height = 450)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Count == 0)
        {
            throw new MnistCnnException(ReportingErrorIds.ReportNoEpochs, ErrorKind.InvalidArgument, "The run has no finished epoch, so there are no curves to draw.", null);
        }
        var series = new[] { new CurveSeries("", epochs) };
        using var loss = Panel(title is null ? "Loss" : $"{title}: loss", "Loss", series, e => e.Loss, e => e.ValidationLoss, single: true);
        using var accuracy = Panel(title is null ? "Accuracy" : $"{title}: accuracy", "Accuracy", series, e => e.Accuracy, e => e.ValidationAccuracy, single: true);
        return SideBySide(loss, accuracy, width, height);
    }

    /// <summary>
    /// The curves of many runs on one chart (loss left, accuracy right), one colour per run, in the same line style
    /// as <see cref="Curves"/>: training solid, validation (where the run has it) dashed.
    /// </summary>
    public static byte[] SweepCurves(IReadOnlyList<CurveSeries> series, int width = 1400, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.All(s => s.Epochs.Count == 0))
        {
            throw new MnistCnnException(ReportingErrorIds.ReportNoEpochs, ErrorKind.InvalidArgument, "No trial has a finished epoch, so there are no curves to draw.", null);
        }
        bool anyValidation = series.Any(s => s.Epochs.Any(e => e.ValidationLoss is not null));
        string key = anyValidation ? " (training solid, validation dashed)" : "";
        using var loss = Panel("Loss per epoch" + key, "Loss", series, e => e.Loss, e => e.ValidationLoss, single: false);
        using var accuracy = Panel("Accuracy per epoch" + key, "Accuracy", series, e => e.Accuracy, e => e.ValidationAccuracy, single: false);
        return SideBySide(loss, accuracy, width, height);
    }

    /// <summary>
    /// A heatmap of <paramref name="matrix"/> ([actual, predicted] counts) with the count written in every cell.
    /// Colour follows log(1 + count) so that the few mistakes still show next to the large diagonal.
    /// </summary>
    public static byte[] Confusion(int[,] matrix, IReadOnlyList<string> classNames, string? title = null, int width = 760, int height = 700)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(classNames);
        int n = matrix.GetLength(0);
        if (n == 0 || matrix.GetLength(1) != n || classNames.Count != n)
        {
            throw new MnistCnnException(ReportingErrorIds.ReportClassNamesMismatch, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"The confusion matrix is {matrix.GetLength(0)}x{matrix.GetLength(1)} but there are {classNames.Count} class names; they must agree."), null);
        }
        int max = 0, total = 0, correct = 0;
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                max = Math.Max(max, matrix[r, c]);
                total += matrix[r, c];
                if (r == c) correct += matrix[r, c];
            }
        }
        double top = Math.Log(1 + Math.Max(max, 1));
        var intensities = new double[n, n];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++) intensities[r, c] = Math.Log(1 + matrix[r, c]) / top;
        }

        using var plot = new Plot();
        ReportFont.Apply(plot);
        var heatmap = plot.Add.Heatmap(intensities);
        // ScottPlot's Blues runs dark to light; reversed, an empty cell is white and a full one dark blue.
        heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Row r (actual class r) is drawn at the top for r = 0; cell centres sit on whole coordinates.
        heatmap.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        float fontSize = n <= 10 ? 14 : n <= 20 ? 10 : 7;
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                var text = plot.Add.Text(matrix[r, c].ToString(CultureInfo.InvariantCulture), c, n - 1 - r);
                text.LabelFontName = ReportFont.Name;
                text.LabelFontSize = fontSize;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = intensities[r, c] > 0.7 ? Colors.White : Colors.Black;
            }
        }
        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < n; i++)
        {
            xTicks.AddMajor(i, classNames[i]);
            yTicks.AddMajor(n - 1 - i, classNames[i]);
        }
        plot.Axes.Bottom.TickGenerator = xTicks;
        plot.Axes.Left.TickGenerator = yTicks;
        if (classNames.Any(name => name.Length > 3))
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = -40;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        }
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Grid.IsVisible = false;
        plot.XLabel("Predicted");
        plot.YLabel("Actual");
        string accuracy = total == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $", accuracy {100.0 * correct / total:0.00}%");
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{title ?? "Confusion matrix"} ({total:N0} images{accuracy})"));
        ReportFont.Apply(plot);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>
    /// Indices of the wrong predictions of <paramref name="test"/>, most confident first (ties: lower index
    /// first), at most <paramref name="count"/>.
    /// </summary>
    public static IReadOnlyList<int> WorstMistakes(EvaluationResult test, int count)
    {
        ArgumentNullException.ThrowIfNull(test);
        return Enumerable.Range(0, test.Predicted.Length)
            .Where(i => test.Predicted[i] != test.Actual[i])
            .OrderByDescending(i => test.Confidence[i])
            .ThenBy(i => i)
            .Take(Math.Max(0, count))
            .ToArray();
    }

    /// <summary>
    /// A grid of the most confident mistakes: each test image with "true X" and, in red, "pred Y 97.3%" (the
    /// model's probability for its wrong answer). Null when the model made no mistake.
    /// </summary>
    public static GridPicture? Misclassified(EvaluationResult test, DataSplit testSplit, IReadOnlyList<string>? classNames, int count = 25, int scale = 3)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(testSplit);
        if (test.Predicted.Length != testSplit.Count || test.Actual.Length != testSplit.Count || test.Confidence.Length != testSplit.Count)
        {
            throw new MnistCnnException(ReportingErrorIds.ReportTestSplitMismatch, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"The test evaluation has {test.Predicted.Length} predictions but split '{testSplit.Name}' has {testSplit.Count} images; pass the split the model was evaluated on."), testSplit.Name);
        }
        var worst = WorstMistakes(test, count);
        if (worst.Count == 0) return null;
        int size = testSplit.Height * testSplit.Width;
        var cells = worst.Select(i => new GridCell(
            testSplit.Pixels.AsMemory(i * size, size),
            new[]
            {
                "true " + ImageGrid.LabelName(test.Actual[i], classNames),
                string.Create(CultureInfo.InvariantCulture, $"pred {ImageGrid.LabelName(test.Predicted[i], classNames)} {100.0 * test.Confidence[i]:0.0}%"),
            },
            Highlight: true)).ToList();
        return ImageGrid.Render(cells, testSplit.Height, testSplit.Width, new ImageGridOptions
        {
            Scale = scale,
            Columns = Math.Min(5, cells.Count),
            Title = string.Create(CultureInfo.InvariantCulture, $"Most confident mistakes ({worst.Count} of {test.Predicted.Length - CountCorrect(test)} wrong)"),
        });
    }

    private static int CountCorrect(EvaluationResult test)
    {
        int correct = 0;
        for (int i = 0; i < test.Predicted.Length; i++) if (test.Predicted[i] == test.Actual[i]) correct++;
        return correct;
    }

    /// <summary>The one line style of every chart: training solid, validation dashed.</summary>
    internal static readonly LinePattern TrainingLine = LinePattern.Solid;

    /// <inheritdoc cref="TrainingLine"/>
    internal static readonly LinePattern ValidationLine = LinePattern.Dashed;

    internal static Plot Panel(string title, string yLabel, IReadOnlyList<CurveSeries> series, Func<EpochResult, double> train,
        Func<EpochResult, double?> validation, bool single)
    {
        var plot = new Plot();
        ReportFont.Apply(plot);
        var palette = new ScottPlot.Palettes.Category10();
        int maxEpoch = 1;
        for (int s = 0; s < series.Count; s++)
        {
            var epochs = series[s].Epochs;
            if (epochs.Count == 0) continue;
            maxEpoch = Math.Max(maxEpoch, epochs.Max(e => e.Epoch));
            var xs = epochs.Select(e => (double)e.Epoch).ToArray();
            var trainColor = single ? Train : palette.GetColor(s);
            var validationColor = single ? Validation : palette.GetColor(s);
            bool hasValidation = epochs.Any(e => validation(e) is not null);

            var trainLine = plot.Add.Scatter(xs, epochs.Select(train).ToArray());
            trainLine.Color = trainColor;
            trainLine.LineWidth = 2;
            trainLine.MarkerSize = 6;
            if (single) trainLine.LegendText = "training";
            else trainLine.LegendText = series[s].Label;
            trainLine.LinePattern = TrainingLine;

            if (hasValidation)
            {
                var points = epochs.Where(e => validation(e) is not null).ToArray();
                var validationLine = plot.Add.Scatter(points.Select(e => (double)e.Epoch).ToArray(), points.Select(e => validation(e)!.Value).ToArray());
                validationLine.Color = validationColor;
                validationLine.LineWidth = 2;
                validationLine.MarkerSize = 6;
                if (single) validationLine.LegendText = "validation";
                validationLine.LinePattern = ValidationLine;
            }
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        int step = Math.Max(1, (int)Math.Ceiling(maxEpoch / 15.0));
        for (int e = 1; e <= maxEpoch; e += step) ticks.AddMajor(e, e.ToString(CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.SetLimitsX(0.5, maxEpoch + 0.5);
        plot.Axes.AutoScaleY();
        plot.Title(title);
        plot.XLabel("Epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend(yLabel == "Loss" ? Alignment.UpperRight : Alignment.LowerRight);
        ReportFont.Apply(plot);
        return plot;
    }

    private static byte[] SideBySide(Plot left, Plot right, int width, int height)
    {
        // Each plot renders onto its own surface (a plot clears the canvas it is given), then both are placed.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        surface.Canvas.Clear(SKColors.White);
        int half = width / 2;
        foreach (var (plot, x, w) in new[] { (left, 0, half), (right, half, width - half) })
        {
            using var panel = SKSurface.Create(new SKImageInfo(w, height, SKColorType.Rgba8888, SKAlphaType.Premul));
            plot.Render(panel);
            using var image = panel.Snapshot();
            surface.Canvas.DrawImage(image, x, 0);
        }
        return ImageGrid.Encode(surface);
    }
}
