using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Training;
using SkiaSharp;

namespace MnistCnn.Core.Tests.Reporting;

public class TrainingChartsTests
{
    private static readonly SKColor TrainBlue = SKColor.Parse("#1f77b4");
    private static readonly SKColor ValidationOrange = SKColor.Parse("#ff7f0e");

    [Fact]
    public void CurvesHaveBothPanelsWithTrainingAndValidationLines()
    {
        var png = TrainingCharts.Curves(Fakes.Epochs(6, validation: true));
        Assert.True(Fakes.IsPng(png));
        using var bitmap = Fakes.Decode(png);
        Assert.Equal(1200, bitmap.Width);
        Assert.Equal(450, bitmap.Height);
        // The plot areas (inside axes and titles) of both halves hold line pixels of both colours.
        foreach (var (left, right) in new[] { (60, 590), (660, 1190) })
        {
            Assert.True(Fakes.PixelsNear(bitmap, TrainBlue, left, 40, right, 400, 20) > 200, $"no training line in [{left}, {right})");
            Assert.True(Fakes.PixelsNear(bitmap, ValidationOrange, left, 40, right, 400, 20) > 100, $"no validation line in [{left}, {right})");
        }
        // Titles ("Loss", "Accuracy") are drawn as text in the strip above the plot areas.
        Assert.True(Fakes.DarkPixels(bitmap, 0, 0, 600, 28) > 20, "no title text over the loss panel");
        Assert.True(Fakes.DarkPixels(bitmap, 600, 0, 1200, 28) > 20, "no title text over the accuracy panel");
    }

    [Fact]
    public void RunAndSweepChartsShareOneLineStyle_TrainingSolidValidationDashed()
    {
        var epochs = Fakes.Epochs(4, validation: true);
        using var single = TrainingCharts.Panel("Loss", "Loss", [new CurveSeries("", epochs)], e => e.Loss, e => e.ValidationLoss, single: true);
        using var sweep = TrainingCharts.Panel("Loss", "Loss", [new CurveSeries("a", epochs), new CurveSeries("b", epochs)], e => e.Loss, e => e.ValidationLoss, single: false);
        foreach (var plot in new[] { single, sweep })
        {
            // Per series: the training line, then the validation line.
            var lines = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
            Assert.Equal(plot == single ? 2 : 4, lines.Count);
            for (int i = 0; i < lines.Count; i++)
            {
                Assert.Equal(i % 2 == 0 ? ScottPlot.LinePattern.Solid : ScottPlot.LinePattern.Dashed, lines[i].LinePattern);
            }
        }
        Assert.NotEqual(ScottPlot.LinePattern.Solid, ScottPlot.LinePattern.Dashed);
    }

    [Fact]
    public void CurvesWithoutValidationDrawNoValidationLine()
    {
        using var bitmap = Fakes.Decode(TrainingCharts.Curves(Fakes.Epochs(3, validation: false), width: 800, height: 300));
        Assert.Equal(800, bitmap.Width);
        Assert.Equal(300, bitmap.Height);
        Assert.True(Fakes.PixelsNear(bitmap, TrainBlue, 0, 30, 800, 280, 20) > 100);
        Assert.Equal(0, Fakes.PixelsNear(bitmap, ValidationOrange, 0, 0, 800, 300, 20));
    }

    [Fact]
    public void CurvesOfNoEpochFailClearly() =>
        Assert.Equal("ReportNoEpochs", Assert.Throws<MnistCnnException>(() => TrainingCharts.Curves(Array.Empty<EpochResult>())).ErrorId);

    [Fact]
    public void ConfusionHeatmapShowsTheCountsAndDependsOnThem()
    {
        var names = MnistDataset.ClassNamesOf(DatasetKind.Mnist);
        var evaluation = Fakes.Evaluation(Fakes.Split(400).Labels);
        var png = TrainingCharts.Confusion(evaluation.ConfusionMatrix(10), names);
        using var bitmap = Fakes.Decode(png);
        Assert.Equal(760, bitmap.Width);
        Assert.Equal(700, bitmap.Height);
        Assert.True(Fakes.DistinctColours(bitmap) > 50, "the heatmap looks blank");
        // Dark blue diagonal cells exist (well-predicted classes), and so do white empty cells.
        Assert.True(Fakes.PixelsNear(bitmap, new SKColor(8, 48, 107), 0, 0, 760, 700, 40) > 1000);

        var other = new int[10, 10];
        for (int i = 0; i < 10; i++) other[i, i] = 40;
        using var diagonal = Fakes.Decode(TrainingCharts.Confusion(other, names));
        Assert.NotEqual(Hash(bitmap), Hash(diagonal));
    }

    [Fact]
    public void ConfusionNeedsOneNamePerClass()
    {
        var ex = Assert.Throws<MnistCnnException>(() => TrainingCharts.Confusion(new int[10, 10], new[] { "a", "b" }));
        Assert.Equal("ReportClassNamesMismatch", ex.ErrorId);
    }

    [Fact]
    public void WorstMistakesAreTheWrongOnesMostConfidentFirst()
    {
        var evaluation = new EvaluationResult(0.5, 0.5, 6,
            Predicted: new[] { 1, 2, 3, 4, 0, 0 },
            Actual: new[] { 1, 0, 0, 4, 1, 1 },
            Confidence: new[] { 0.99f, 0.6f, 0.9f, 0.95f, 0.9f, 0.7f });
        Assert.Equal(new[] { 2, 4, 5, 1 }, TrainingCharts.WorstMistakes(evaluation, 10));
        Assert.Equal(new[] { 2, 4 }, TrainingCharts.WorstMistakes(evaluation, 2));
    }

    [Fact]
    public void MisclassifiedGridShowsTheWorstMistakesExactly()
    {
        var split = Fakes.Split(60);
        var evaluation = Fakes.Evaluation(split.Labels);
        var worst = TrainingCharts.WorstMistakes(evaluation, 4);
        var picture = TrainingCharts.Misclassified(evaluation, split, null, count: 4, scale: 2);
        Assert.NotNull(picture);
        Assert.Equal(4, picture!.ImageOrigins.Count);
        using var bitmap = Fakes.Decode(picture.Png);
        for (int k = 0; k < 4; k++)
        {
            var image = split.Image(worst[k]).ToArray();
            var (x, y) = picture.ImageOrigins[k];
            foreach (var (px, py) in new[] { (0, 0), (27, 27), (13, 5), (4, 20) })
            {
                var c = bitmap.GetPixel(x + px * 2 + 1, y + py * 2 + 1);
                Assert.Equal(image[py * 28 + px], c.Red);
                Assert.Equal(c.Red, c.Blue);
            }
            // The prediction line under each image is red.
            Assert.True(Fakes.PixelsNear(bitmap, new SKColor(0xC6, 0x28, 0x28), x - 30, y + 56, x + 86, y + 56 + 40, 40) > 10);
        }
    }

    [Fact]
    public void MisclassifiedIsNullWithoutMistakesAndChecksTheSplit()
    {
        var split = Fakes.Split(10);
        var perfect = new EvaluationResult(0, 1, 10, split.Labels.Select(l => (int)l).ToArray(), split.Labels.Select(l => (int)l).ToArray(), new float[10]);
        Assert.Null(TrainingCharts.Misclassified(perfect, split, null));
        var ex = Assert.Throws<MnistCnnException>(() => TrainingCharts.Misclassified(perfect, Fakes.Split(11), null));
        Assert.Equal("ReportTestSplitMismatch", ex.ErrorId);
    }

    [Fact]
    public void ClassMetricsComeFromTheConfusionMatrix()
    {
        // Rows are actual classes, columns predictions.
        var matrix = new[,] { { 3, 1, 0 }, { 2, 4, 0 }, { 0, 0, 0 } };
        var rows = ClassMetrics.FromConfusion(matrix, new[] { "a", "b", "c" });
        Assert.Equal(3.0 / 5, rows[0].Precision!.Value, 12);
        Assert.Equal(3.0 / 4, rows[0].Recall!.Value, 12);
        Assert.Equal(4.0 / 5, rows[1].Precision!.Value, 12);
        Assert.Equal(4.0 / 6, rows[1].Recall!.Value, 12);
        Assert.Equal(2 * 0.6 * 0.75 / 1.35, rows[0].F1!.Value, 12);
        Assert.Equal(4, rows[0].Support);
        Assert.Equal(5, rows[0].Predicted);
        Assert.Null(rows[2].Precision);
        Assert.Null(rows[2].Recall);
    }

    [Fact]
    public void SweepCurvesDrawOneColourPerTrial()
    {
        var series = new[]
        {
            new CurveSeries("a", Fakes.Epochs(4, validation: true)),
            new CurveSeries("b", Fakes.Epochs(6, validation: false)),
        };
        using var bitmap = Fakes.Decode(TrainingCharts.SweepCurves(series));
        Assert.Equal(1400, bitmap.Width);
        Assert.Equal(560, bitmap.Height);
        // Category10: trial 0 blue, trial 1 orange.
        Assert.True(Fakes.PixelsNear(bitmap, TrainBlue, 0, 40, 1400, 500, 20) > 200);
        Assert.True(Fakes.PixelsNear(bitmap, ValidationOrange, 0, 40, 1400, 500, 20) > 200);
    }

    private static int Hash(SKBitmap bitmap)
    {
        var hash = new HashCode();
        foreach (var b in bitmap.Bytes) hash.Add(b);
        return hash.ToHashCode();
    }
}
