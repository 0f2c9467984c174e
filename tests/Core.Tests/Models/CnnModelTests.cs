using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using TorchSharp;
using static TorchSharp.torch;
using Padding = MnistCnn.Core.Models.Padding;

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
        using var fill = TorchSharp.ScalarExtensionMethods.ToScalar(-5f);
        using var x = full(new long[] { 1, 1, 3, 3 }, fill);
        using var y = model.named_modules().Where(m => m.name.StartsWith("layers.max", StringComparison.Ordinal))
            .Aggregate(x.alias(), (t, m) => ((nn.Module<Tensor, Tensor>)m.module).forward(t));
        Assert.All(y.data<float>().ToArray(), v => Assert.Equal(-5f, v));
    }

    public static TheoryData<string> LayoutSpecs => new() { "tutorial", "everything" };

    /// <summary>
    /// Channels-last (the CPU default) is a memory layout only: logits, loss and every gradient must match NCHW on
    /// the same weights, for the tutorial model and for one that uses every layer kind on a 3-channel input.
    /// </summary>
    [Theory]
    [MemberData(nameof(LayoutSpecs))]
    public void ChannelsLastGivesTheSameLogitsAndGradientsAsNchw(string which)
    {
        var spec = which == "tutorial"
            ? ModelPresets.Create(ModelPresets.KerasSeed)
            : new ModelSpec(new InputShape(17, 15, 3), 4, new LayerSpec[]
            {
                new Conv2DSpec(6, 3, 3, 1, 1, Padding.Same, Activation.LeakyRelu),
                new MaxPool2DSpec(3, 3, 2, 2, Padding.Same),
                new BatchNormSpec(),
                new Conv2DSpec(8, 3, 2, 2, 1, Padding.Valid, Activation.Elu),
                new AvgPool2DSpec(2, 2, Padding: Padding.Same),
                new Conv2DSpec(5, 1, 1, Activation: Activation.Relu),
                new FlattenSpec(),
                new DenseSpec(7, Activation.Tanh),
                new DenseSpec(4, Activation.Softmax),
            });
        manual_seed(7);
        using var model = new CnnModel(spec);
        // A narrowed view (non-zero storage offset), as the Evaluator and Trainer pass batches.
        using var all = rand(8, spec.Input.Channels, spec.Input.Height, spec.Input.Width);
        using var x = all.narrow(0, 3, 5);
        using var y = tensor(new long[] { 0, 1, 2, 3, 1 }.Select(v => v % spec.Classes).ToArray());

        (float[] Logits, float[][] Grads) Run(bool channelsLast)
        {
            model.ChannelsLast = channelsLast;
            model.zero_grad(set_to_none: true);
            using var scope = NewDisposeScope();
            var logits = model.forward(x);
            nn.functional.cross_entropy(logits, y).backward();
            return (logits.contiguous().data<float>().ToArray(), model.parameters().Select(p => p.grad!.contiguous().data<float>().ToArray()).ToArray());
        }

        var nchw = Run(channelsLast: false);
        var nhwc = Run(channelsLast: true);
        Assert.Equal(nchw.Logits.Length, nhwc.Logits.Length);
        for (int i = 0; i < nchw.Logits.Length; i++) Assert.Equal(nchw.Logits[i], nhwc.Logits[i], 4);
        Assert.Equal(nchw.Grads.Length, nhwc.Grads.Length);
        for (int p = 0; p < nchw.Grads.Length; p++)
        {
            float scale = Math.Max(1e-3f, nchw.Grads[p].Max(Math.Abs));
            for (int i = 0; i < nchw.Grads[p].Length; i++) Assert.True(Math.Abs(nchw.Grads[p][i] - nhwc.Grads[p][i]) <= 1e-4f * scale + 1e-6f, $"parameter {p}, element {i}: {nchw.Grads[p][i]} vs {nhwc.Grads[p][i]}");
        }
    }

    /// <summary>
    /// The speed-up rests on libtorch choosing channels-last from strides alone (TorchSharp has no memory_format):
    /// a one-channel MNIST batch must come out of the first convolution and the pooling channels-last.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ChannelsLastBatchesStayChannelsLastThroughConvolutionAndPooling(int channels)
    {
        using var all = rand(7, channels, 28, 28);
        using var x = all.narrow(0, 2, 4); // a view with a storage offset, like every batch the Evaluator passes
        using var nhwc = MemoryLayout.ToChannelsLast(x);
        Assert.True(MemoryLayout.IsChannelsLast(nhwc));
        Assert.False(channels > 1 && MemoryLayout.IsChannelsLast(x));
        Assert.True(x.allclose(nhwc, rtol: 0, atol: 0), "the channels-last view holds different values");
        using var conv = nn.Conv2d(channels, 8, 3);
        using var features = conv.forward(nhwc);
        Assert.True(MemoryLayout.IsChannelsLast(features), "convolution output lost channels-last");
        using var pooled = nn.functional.max_pool2d(features, 2);
        Assert.True(MemoryLayout.IsChannelsLast(pooled), "max pooling output lost channels-last");
        using var plain = conv.forward(x);
        Assert.False(MemoryLayout.IsChannelsLast(plain), "an NCHW batch should stay NCHW");
    }

    /// <summary>
    /// CnnModel applies a conv layer's activation after the max pooling that follows it (same result, a quarter of
    /// the work). Checked against the layers in Keras' order, built from the model's own weights, with same padding.
    /// </summary>
    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.LeakyRelu)]
    public void ActivationMovedAfterMaxPoolingGivesKerasOrderResultsAndGradients(Activation activation)
    {
        var spec = new ModelSpec(new InputShape(9, 9, 2), 3, new LayerSpec[]
        {
            new Conv2DSpec(4, 3, 3, Padding: Padding.Same, Activation: activation),
            new MaxPool2DSpec(2, 2, Padding: Padding.Same),
            new FlattenSpec(),
            new DenseSpec(3, Activation.Softmax),
        });
        manual_seed(3);
        using var model = new CnnModel(spec) { ChannelsLast = false };
        var names = model.named_children().Single().module.named_children().Select(c => c.name).ToList();
        Assert.Equal(new[] { "conv2d_pad", "conv2d", "max_pooling2d_pad", "max_pooling2d", "conv2d_" + ActivationNames.ToName(activation), "flatten", "dense" }, names);

        var conv = model.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.Conv2d>().Single();
        var dense = model.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.Linear>().Single();
        using var x = randn(3, 2, 9, 9);
        using var y = tensor(new long[] { 0, 2, 1 });
        using var slope = 0.3.ToScalar();
        Func<Tensor, Tensor> act = activation switch
        {
            Activation.Relu => t => nn.functional.relu(t),
            Activation.Tanh => t => t.tanh(),
            _ => t => t.leaky_relu(slope),
        };

        (float[] Logits, float[] ConvGrad) Run(Func<Tensor, Tensor> forward)
        {
            model.zero_grad(set_to_none: true);
            using var scope = NewDisposeScope();
            var logits = forward(x);
            nn.functional.cross_entropy(logits, y).backward();
            return (logits.data<float>().ToArray(), conv.weight!.grad!.data<float>().ToArray());
        }

        var ours = Run(model.forward);
        var keras = Run(t =>
        {
            // Keras order: activation, then max pooling over -inf padding (which never wins the max).
            var features = act(conv.forward(nn.functional.pad(t, new long[] { 1, 1, 1, 1 })));
            var pooled = nn.functional.max_pool2d(nn.functional.pad(features, new long[] { 0, 1, 0, 1 }, TorchSharp.PaddingModes.Constant, double.NegativeInfinity), 2);
            return dense.forward(pooled.flatten(1));
        });
        for (int i = 0; i < ours.Logits.Length; i++) Assert.Equal(keras.Logits[i], ours.Logits[i], 5);
        for (int i = 0; i < ours.ConvGrad.Length; i++) Assert.Equal(keras.ConvGrad[i], ours.ConvGrad[i], 5);
    }
}
