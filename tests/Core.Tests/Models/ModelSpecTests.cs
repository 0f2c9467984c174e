using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;

namespace MnistCnn.Core.Tests.Models;

public class ModelSpecTests
{
    [Fact]
    public void TutorialModelSummaryMatchesKeras()
    {
        var rows = ModelPresets.Create(ModelPresets.KerasSeed).Summarize();
        var expected = new (string Shape, long Params)[]
        {
            ("26x26x32", 320), ("13x13x32", 0), ("11x11x64", 18496), ("5x5x64", 0),
            ("3x3x64", 36928), ("576", 0), ("64", 36928), ("10", 650),
        };
        Assert.Equal(expected.Length, rows.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Shape, rows[i].OutputShape.ToString());
            Assert.Equal(expected[i].Params, rows[i].Parameters);
        }
        Assert.Equal(93_322, rows.Sum(r => r.Parameters));
        Assert.Equal(new[] { "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "conv2d_2", "flatten", "dense", "dense_1" }, rows.Select(r => r.Name));
    }

    [Theory]
    [InlineData(28, 3, 1, Padding.Valid, 26)]
    [InlineData(28, 3, 1, Padding.Same, 28)]
    [InlineData(28, 3, 2, Padding.Valid, 13)]
    [InlineData(28, 3, 2, Padding.Same, 14)]
    [InlineData(5, 2, 2, Padding.Same, 3)]
    [InlineData(13, 2, 2, Padding.Valid, 6)]
    public void OutputSizeFollowsKerasRules(int input, int window, int stride, Padding padding, int expected) =>
        Assert.Equal(expected, ModelSpec.OutputSize(input, window, stride, padding));

    [Fact]
    public void KernelLargerThanInputIsReportedAtItsLayer()
    {
        var spec = new ModelSpec(InputShape.Mnist, 10, new LayerSpec[]
        {
            new Conv2DSpec(8, 5, 5), new MaxPool2DSpec(4, 4), new Conv2DSpec(8, 7, 7), new FlattenSpec(), new DenseSpec(10, Activation.Softmax),
        });
        var problem = Assert.Single(spec.Validate());
        Assert.Equal(2, problem.LayerIndex);
        Assert.Contains("larger than its 6x6 input", problem.Message, StringComparison.Ordinal);
        var ex = Assert.Throws<MnistCnnException>(() => spec.Summarize());
        Assert.Equal("ModelShapeInvalid", ex.ErrorId);
    }

    [Fact]
    public void DenseBeforeFlattenAndWrongClassCountAreProblems()
    {
        var spec = new ModelSpec(InputShape.Mnist, 10, new LayerSpec[] { new Conv2DSpec(4), new DenseSpec(10) });
        Assert.Contains(spec.Validate(), p => p.LayerIndex == 1 && p.Message.Contains("add a Flatten", StringComparison.Ordinal));
        var wrongClasses = new ModelSpec(InputShape.Mnist, 10, new LayerSpec[] { new FlattenSpec(), new DenseSpec(7) });
        Assert.Contains(wrongClasses.Validate(), p => p.Message.Contains("7 outputs but the data has 10 classes", StringComparison.Ordinal));
    }

    [Fact]
    public void BatchNormCountsStatisticsLikeKeras()
    {
        var spec = new ModelSpec(InputShape.Mnist, 10, new LayerSpec[] { new Conv2DSpec(16), new BatchNormSpec(), new FlattenSpec(), new DenseSpec(10, Activation.Softmax) });
        var rows = spec.Summarize();
        Assert.Equal(64, rows[1].Parameters);
        Assert.Equal(32, rows[1].TrainableParameters);
    }
}
