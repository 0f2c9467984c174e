using MnistCnn.Core.Models;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Models;

public class CnnModelTests
{
    [Fact]
    public void TutorialModelHasKerasParameterCountAndOutputShape()
    {
        using var model = new CnnModel(ModelPresets.Create(ModelPresets.KerasSeed));
        long torchCount = model.parameters().Sum(p => p.numel());
        Assert.Equal(93_322, torchCount);
        using var x = rand(4, 1, 28, 28);
        using var y = model.forward(x);
        Assert.Equal(new long[] { 4, 10 }, y.shape);
    }

    [Theory]
    [InlineData(Padding.Same, 1, 28)]
    [InlineData(Padding.Same, 2, 14)]
    [InlineData(Padding.Valid, 2, 13)]
    public void ConvolutionOutputMatchesShapeInference(Padding padding, int stride, int expected)
    {
        var spec = new ModelSpec(InputShape.Mnist, 10, new LayerSpec[]
        {
            new Conv2DSpec(8, 3, 3, stride, stride, padding), new FlattenSpec(), new DenseSpec(10, Activation.Softmax),
        });
        Assert.Equal(expected, spec.Summarize()[0].OutputShape.Height);
        using var model = new CnnModel(spec);
        using var y = model.forward(rand(2, 1, 28, 28));
        Assert.Equal(new long[] { 2, 10 }, y.shape);
    }

    [Fact]
    public void SamePaddedAveragePoolingAveragesOnlyRealPixels()
    {
        var spec = new ModelSpec(new InputShape(3, 3, 1), 2, new LayerSpec[]
        {
            new AvgPool2DSpec(2, 2, Padding: Padding.Same), new FlattenSpec(), new DenseSpec(2, Activation.Softmax),
        });
        using var model = new CnnModel(spec);
        var pool = model.named_modules().First(m => m.name.EndsWith("average_pooling2d", StringComparison.Ordinal)).module as nn.Module<Tensor, Tensor>;
        using var x = ones(1, 1, 3, 3);
        using var y = pool!.forward(x);
        Assert.Equal(new long[] { 1, 1, 2, 2 }, y.shape);
        Assert.All(y.data<float>().ToArray(), v => Assert.Equal(1f, v, 5));
    }

    [Fact]
    public void SamePaddedMaxPoolingNeverPicksPadding()
    {
        var spec = new ModelSpec(new InputShape(3, 3, 1), 2, new LayerSpec[]
        {
            new MaxPool2DSpec(2, 2, Padding: Padding.Same), new FlattenSpec(), new DenseSpec(2, Activation.Softmax),
        });
        using var model = new CnnModel(spec);
        using var x = full(new long[] { 1, 1, 3, 3 }, -5f);
        using var y = model.named_modules().Where(m => m.name.StartsWith("layers.max", StringComparison.Ordinal))
            .Aggregate(x.alias(), (t, m) => ((nn.Module<Tensor, Tensor>)m.module).forward(t));
        Assert.All(y.data<float>().ToArray(), v => Assert.Equal(-5f, v));
    }
}
