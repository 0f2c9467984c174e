using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Prediction;

/// <summary>The predictor's contract, with a small untrained model (fast; seeded so results are deterministic).</summary>
public sealed class PredictorTests
{
    private static readonly DataSplit Split = SyntheticData.Split("test", 40, new Random(5));

    [Fact]
    public void TopIsOrderedByProbabilityAndAllProbabilitiesSumToOne()
    {
        using var model = TestImages.UntrainedModel();
        var all = Predictor.PredictSplit(model, Split, top: 10);
        Assert.Equal(Split.Count, all.Count);
        foreach (var p in all)
        {
            Assert.Equal(10, p.Top.Count);
            Assert.Equal(Enumerable.Range(0, 10), p.Top.Select(t => t.Label).Order());
            for (int i = 1; i < p.Top.Count; i++) Assert.True(p.Top[i - 1].Probability >= p.Top[i].Probability, $"{p.Source}: Top is not descending");
            Assert.Equal(1.0, p.Top.Sum(t => t.Probability), 4);
            Assert.All(p.Top, t => Assert.InRange(t.Probability, 0.0, 1.0));
            Assert.Equal(p.Top[0].Label, p.Label);
            Assert.Equal(p.Top[0].Probability, p.Confidence);
            Assert.Equal(p.Label.ToString(System.Globalization.CultureInfo.InvariantCulture), p.ClassName);
        }
        // The top three are the first three of the full ranking.
        var three = Predictor.PredictSplit(model, Split);
        Assert.All(three.Zip(all), pair => Assert.Equal(pair.Second.Top.Take(3), pair.First.Top));
    }

    [Fact]
    public void SplitPredictionsCarryIndexSourceAndTheKnownLabel()
    {
        using var model = TestImages.UntrainedModel();
        var chosen = new[] { 7, 0, 39 };
        var predictions = Predictor.PredictSplit(model, Split, chosen);
        Assert.Equal(chosen, predictions.Select(p => p.Index!.Value));
        Assert.Equal(chosen.Select(i => (int)Split.Labels[i]), predictions.Select(p => p.Actual!.Value));
        Assert.Equal("test[39]", predictions[2].Source);
        Assert.All(predictions, p => Assert.Equal(p.Actual == p.Label, p.Correct));
        // The same image predicted alone gives the same probabilities (up to float rounding of another batch size).
        var alone = Predictor.PredictPixels(model, new[] { ("x", TestImages.Pixels(Split, 39)) });
        Assert.Equal(predictions[2].Top.Select(t => t.Label), alone[0].Top.Select(t => t.Label));
        Assert.All(predictions[2].Top.Zip(alone[0].Top), pair => Assert.Equal(pair.First.Probability, pair.Second.Probability, 5));
        Assert.Null(alone[0].Actual);
        Assert.Null(alone[0].Correct);
        Assert.Null(alone[0].Index);
    }

    [Fact]
    public void BatchesGiveTheSameAnswersAsSingleImages()
    {
        using var model = TestImages.UntrainedModel();
        var big = SyntheticData.Split("big", Evaluator.CpuBatchSize + 30, new Random(9));
        var batched = Predictor.PredictSplit(model, big);
        foreach (int i in new[] { 0, Evaluator.CpuBatchSize - 1, Evaluator.CpuBatchSize, big.Count - 1 })
        {
            var single = Predictor.PredictPixels(model, new[] { ("x", TestImages.Pixels(big, i)) })[0];
            Assert.Equal(single.Label, batched[i].Label);
            Assert.Equal(single.Confidence, batched[i].Confidence, 5);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(40)]
    public void IndicesOutsideTheSplitFailWithIndexOutOfRange(int index)
    {
        using var model = TestImages.UntrainedModel();
        var error = Assert.Throws<MnistCnnException>(() => Predictor.PredictSplit(model, Split, new[] { 0, index }));
        Assert.Equal("IndexOutOfRange", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("0 and 39", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImagesOfTheWrongSizeFailWithImageSizeMismatch()
    {
        using var model = TestImages.UntrainedModel();
        var small = new DataSplit("small", new byte[2 * 20 * 20], new byte[2], 20, 20);
        Assert.Equal("ImageSizeMismatch", Assert.Throws<MnistCnnException>(() => Predictor.PredictSplit(model, small)).ErrorId);
        var images = new[] { ("good", new byte[28 * 28]), ("short", new byte[27 * 28]) };
        var error = Assert.Throws<MnistCnnException>(() => Predictor.PredictPixels(model, images));
        Assert.Equal("ImageSizeMismatch", error.ErrorId);
        Assert.Contains("short", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TopMustBeAtLeastOne()
    {
        using var model = TestImages.UntrainedModel();
        Assert.Throws<ArgumentOutOfRangeException>(() => Predictor.PredictSplit(model, Split, top: 0));
        // More than there are classes lists every class once.
        Assert.Equal(10, Predictor.PredictSplit(model, Split, new[] { 1 }, top: 50)[0].Top.Count);
    }

    [Fact]
    public void ADisposedModelFailsWithModelDisposed()
    {
        var model = TestImages.UntrainedModel();
        model.Dispose();
        Assert.Equal("ModelDisposed", Assert.Throws<MnistCnnException>(() => Predictor.PredictSplit(model, Split)).ErrorId);
    }

    [Fact]
    public void PredictionLeavesTheNetworkInItsTrainingMode()
    {
        using var model = TestImages.UntrainedModel();
        model.Network.train();
        Predictor.PredictSplit(model, Split, new[] { 0 });
        Assert.True(model.Network.training);
        model.Network.eval();
        Predictor.PredictSplit(model, Split, new[] { 0 });
        Assert.False(model.Network.training);
    }
}
