using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Models;

public class FastPresetsTests
{
    [Fact]
    public void FastMnistIsRegisteredAndValid()
    {
        Assert.Contains(FastPresets.FastMnist, ModelPresets.Names);
        var spec = ModelPresets.Create("FAST-MNIST");
        Assert.Equal(FastPresets.FastMnist, spec.Name);
        Assert.Empty(spec.Validate());
    }

    [Fact]
    public void FastMnistIsSmallerThanTheTutorialModelAndClassifies()
    {
        using var fast = new CnnModel(ModelPresets.Create(FastPresets.FastMnist));
        using var tutorial = new CnnModel(ModelPresets.Create(ModelPresets.KerasSeed));
        long fastCount = fast.parameters().Sum(p => p.numel());
        // Trainable: conv 160, batch norm 32, conv 4,640, batch norm 64, Dense 51,264, classifier 650 (running statistics are buffers).
        Assert.Equal(56_810, fastCount);
        Assert.True(fastCount < tutorial.parameters().Sum(p => p.numel()));
        using var x = rand(3, 1, 28, 28);
        using var y = fast.forward(x);
        Assert.Equal(new long[] { 3, 10 }, y.shape);
    }

    [Fact]
    public void FastMnistFollowsTheDatasetShape()
    {
        var spec = ModelPresets.Create(FastPresets.FastMnist, new InputShape(32, 32, 1), 5);
        Assert.Equal(5, spec.Classes);
        Assert.Empty(spec.Validate());
        // 32 -> conv 30 -> pool 15 -> conv 13 -> pool 6: 6*6*32 features into the Dense 64 head.
        Assert.Contains(spec.Summarize(), row => row.Type.Contains("Dense", StringComparison.OrdinalIgnoreCase) && row.Parameters == (6 * 6 * 32 * 64) + 64);
    }

    [Fact]
    public void FastMnistLiteIsRegisteredAndHalvesTheSecondConvolution()
    {
        Assert.Contains(FastPresets.FastMnistLite, ModelPresets.Names);
        var lite = ModelPresets.Create("Fast-Mnist-Lite");
        Assert.Equal(FastPresets.FastMnistLite, lite.Name);
        Assert.Empty(lite.Validate());
        // The same layers as fast-mnist but 8 first-layer filters: the second convolution reads 8 maps instead of 16.
        var fast = ModelPresets.Create(FastPresets.FastMnist);
        Assert.Equal(fast.Layers.Skip(1), lite.Layers.Skip(1));
        Assert.Equal(new Conv2DSpec(8), lite.Layers[0]);
        using var model = new CnnModel(lite);
        // Trainable: conv 80, batch norm 16, conv 2,336, batch norm 64, Dense 51,264, classifier 650.
        Assert.Equal(54_410, model.parameters().Sum(p => p.numel()));
        using var x = rand(3, 1, 28, 28);
        using var y = model.forward(x);
        Assert.Equal(new long[] { 3, 10 }, y.shape);
    }
}
