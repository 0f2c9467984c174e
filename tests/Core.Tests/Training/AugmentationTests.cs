using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Training;

/// <summary>Per-batch augmentation on the device: what each distortion does, reproducibility, and training with it.</summary>
[Collection(TorchRandomCollection.Name)]
public class AugmentationTests
{
    /// <summary>A batch of images with a single bright pixel at (row, column), 28x28.</summary>
    private static Tensor Dots(params (int Row, int Col)[] dots)
    {
        var p = new float[dots.Length * 28 * 28];
        for (int i = 0; i < dots.Length; i++) p[(i * 784) + (dots[i].Row * 28) + dots[i].Col] = 1f;
        return tensor(p, new long[] { dots.Length, 1, 28, 28 });
    }

    private static (double Row, double Col) CentreOfMass(Tensor image)
    {
        var p = image.reshape(28 * 28).data<float>().ToArray();
        double total = p.Sum(v => (double)v);
        double row = Enumerable.Range(0, p.Length).Sum(i => (i / 28) * (double)p[i]) / total;
        double col = Enumerable.Range(0, p.Length).Sum(i => (i % 28) * (double)p[i]) / total;
        return (row, col);
    }

    [Fact]
    public void AnIdentityMapKeepsTheImageAndAOnePixelShiftMovesItByOnePixel()
    {
        using var scope = NewDisposeScope();
        var x = SyntheticBatch(4);
        var identity = tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(1, 2, 3).expand(4, 2, 3);
        var same = Augmenter.Warp(x, identity, null);
        Assert.True(same.allclose(x, rtol: 0, atol: 1e-5));

        // Sampling one pixel to the left (normalised width 2 over 28 pixels) moves the picture one pixel right.
        var left = tensor(new float[] { 1, 0, -2f / 28, 0, 1, 0 }).reshape(1, 2, 3);
        var dot = Dots((10, 10));
        var moved = Augmenter.Warp(dot, left, null);
        var movedPixels = moved.reshape(784).data<float>().ToArray();
        Assert.Equal(1f, movedPixels[(10 * 28) + 11], 4);
        Assert.Equal(0f, movedPixels[(10 * 28) + 10], 4);

        // A displacement field of +1 pixel in x does the same.
        var field = cat(new[] { ones(1, 1, 28, 28).neg(), zeros(1, 1, 28, 28) }, 1);
        var elastic = Augmenter.Warp(dot, tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(1, 2, 3), field);
        Assert.Equal(1f, elastic.reshape(784).data<float>().ToArray()[(10 * 28) + 11], 4);
    }

    [Fact]
    public void ANinetyDegreeTurnMakesARowAColumn()
    {
        using var scope = NewDisposeScope();
        var barPixels = new float[28 * 28];
        for (int c = 0; c < 28; c++) barPixels[(13 * 28) + c] = 1f;
        var bar = tensor(barPixels, new long[] { 1, 1, 28, 28 });
        var turn = tensor(new float[] { 0, -1, 0, 1, 0, 0 }).reshape(1, 2, 3);
        var turned = Augmenter.Warp(bar, turn, null);
        var pixels = turned.reshape(28, 28).data<float>().ToArray();
        double maxColumn = Enumerable.Range(0, 28).Max(c => Enumerable.Range(0, 28).Sum(r => pixels[(r * 28) + c]));
        double maxRow = Enumerable.Range(0, 28).Max(r => Enumerable.Range(0, 28).Sum(c => pixels[(r * 28) + c]));
        // All the ink is in one or two neighbouring columns now, spread over the rows.
        Assert.True(maxColumn > 13, $"column {maxColumn}");
        Assert.True(maxRow < 1.5, $"row {maxRow}");
    }

    [Fact]
    public void DrawsAreSeededPerRunEpochAndBatchAndStayWithinTheRanges()
    {
        using var scope = NewDisposeScope();
        var x = SyntheticBatch(64);
        var options = new AugmentationOptions(Shift: 0.1, Rotation: 0, Scale: 0, ElasticAlpha: 0);
        var a = Augmenter.Apply(x, options, seed: 5, epoch: 2, batchIndex: 7);
        Assert.Equal(a.data<float>().ToArray(), Augmenter.Apply(x, options, 5, 2, 7).data<float>().ToArray());
        Assert.False(a.allclose(Augmenter.Apply(x, options, 5, 2, 8)));
        Assert.False(a.allclose(Augmenter.Apply(x, options, 5, 3, 7)));
        Assert.False(a.allclose(Augmenter.Apply(x, options, 6, 2, 7)));
        Assert.Equal(x.shape, a.shape);

        // Shifts of at most 10% (2.8 pixels), different for each image: the ink's centre moves by up to that much.
        // (The bars sit well inside the image, so no ink leaves it.)
        var moves = Enumerable.Range(0, 64).Select(i =>
        {
            var (r0, c0) = CentreOfMass(x[i]);
            var (r1, c1) = CentreOfMass(a[i]);
            return (Row: r1 - r0, Col: c1 - c0);
        }).ToArray();
        Assert.All(moves, m => Assert.True(Math.Abs(m.Row) <= 2.81 && Math.Abs(m.Col) <= 2.81, $"moved {m}"));
        Assert.True(moves.Max(m => Math.Abs(m.Col)) > 1.5, "the shifts should use the range");
        Assert.True(moves.Select(m => Math.Round(m.Col, 2)).Distinct().Count() > 32, "every image should draw its own shift");

        // Elastic distortion alone changes the pixels but keeps the ink where it was, roughly.
        var elastic = Augmenter.Apply(x, new AugmentationOptions(0, 0, 0, ElasticAlpha: 20, ElasticSigma: 4), 5, 0, 0);
        Assert.False(elastic.allclose(x, atol: 1e-3));
        Assert.All(Enumerable.Range(0, 8), i =>
        {
            var (r0, c0) = CentreOfMass(x[i]);
            var (r1, c1) = CentreOfMass(elastic[i]);
            Assert.True(Math.Abs(r1 - r0) < 2 && Math.Abs(c1 - c0) < 2);
        });
    }

    [Fact]
    public void AugmentedTrainingIsReproducibleAndDiffersFromPlainTraining()
    {
        var data = SyntheticData.Create(train: 256, test: 64, seed: 3);
        var spec = new ModelSpec(InputShape.Mnist, 10, [new Conv2DSpec(4, 3, 3), new MaxPool2DSpec(), new FlattenSpec(), new DenseSpec(10, Activation.Softmax)], "small");
        TrainingOptions Options(AugmentationOptions? a) => new() { Epochs = 2, BatchSize = 32, Seed = 4, Device = DeviceKind.Cpu, Optimizer = OptimizerKind.Adam, Augmentation = a, Report = false };
        // Mild distortions: these synthetic classes are told apart by the row of a bar, which a large shift would change.
        var mild = new AugmentationOptions(Shift: 0, Rotation: 3, Scale: 0.05, ElasticAlpha: 5, ElasticSigma: 4);
        var first = new Trainer().Train(spec, data, Options(mild));
        var again = new Trainer().Train(spec, data, Options(mild));
        var plain = new Trainer().Train(spec, data, Options(null));
        foreach (var r in new[] { first, again, plain }) r.TrainedModel!.Dispose();
        Assert.Equal(first.Epochs.Select(e => e.Loss), again.Epochs.Select(e => e.Loss));
        Assert.NotEqual(first.Epochs[0].Loss, plain.Epochs[0].Loss);
        // Two short epochs: it learns (chance is 0.1), not a statement about how well.
        Assert.True(first.TestAccuracy > 0.2, $"augmented accuracy {first.TestAccuracy}, plain {plain.TestAccuracy}");
    }

    [Fact]
    public void BadRangesAreRefusedByName()
    {
        var problems = (new TrainingOptions { Augmentation = new AugmentationOptions(Shift: 1, Rotation: -1, Scale: 1.5, ElasticAlpha: -2, ElasticSigma: 0) }).Validate();
        foreach (var name in new[] { "Augmentation.Shift", "Augmentation.Rotation", "Augmentation.Scale", "Augmentation.ElasticAlpha", "Augmentation.ElasticSigma" })
        {
            Assert.Contains(problems, p => p.Setting.Name == name && p.ToString().StartsWith(name + " ", StringComparison.Ordinal));
        }
        Assert.Empty(AugmentationOptions.Default.Validate());
    }

    [Fact]
    public void TrackedParamsSpellOutTheRanges()
    {
        var on = MnistCnn.Core.Tracking.RunParameters.Options(new TrainingOptions { Augmentation = new AugmentationOptions(0.05, 12, 0.1, 0, 3) }).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("0.05", on["augmentation.shift"]);
        Assert.Equal("12", on["augmentation.rotation"]);
        Assert.Equal("0", on["augmentation.elastic_alpha"]);
        Assert.Equal("3", on["augmentation.elastic_sigma"]);
        Assert.False(on.ContainsKey("augmentation"));
        Assert.Equal("None", MnistCnn.Core.Tracking.RunParameters.Options(new TrainingOptions()).Single(p => p.Key == "augmentation").Value);
    }

    private static Tensor SyntheticBatch(int count)
    {
        var split = SyntheticData.Split("x", count, new Random(1));
        return tensor(split.Pixels.Select(b => b / 255f).ToArray(), new long[] { count, 1, 28, 28 });
    }
}
