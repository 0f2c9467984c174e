// TorchSharp's own BatchNorm1d/2d are the reference these tests compare ours against (MNC0004).
#pragma warning disable MNC0004
using MnistCnn.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Models;

/// <summary>
/// Our batch-norm module stands in for TorchSharp's BatchNorm1d/2d (whose training forward makes finalizer-freed
/// scalars): it must compute the same thing, keep the same statistics and save the same state.
/// </summary>
public class BatchNormalizationTests
{
    public static TheoryData<bool, int> Shapes => new() { { true, 4 }, { false, 2 }, { false, 3 } };

    private static nn.Module<Tensor, Tensor> Theirs(bool spatial, long features, double eps, double momentum) => spatial
        ? nn.BatchNorm2d(features, eps: eps, momentum: momentum)
        : nn.BatchNorm1d(features, eps: eps, momentum: momentum);

    private static long[] BatchShape(bool spatial, int dims, long features) => spatial
        ? new long[] { 6, features, 5, 4 }
        : dims == 2 ? new long[] { 6, features } : new long[] { 6, features, 7 };

    private static Tensor Normal(long[] shape, double mean, double std) => empty(shape).normal_(mean, std);

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.contiguous().to(ScalarType.Float64).data<double>().ToArray();
        var a = actual.contiguous().to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-6 * Math.Max(1, Math.Abs(e[i])), $"{what}[{i}]: expected {e[i]}, got {a[i]}");
    }

    /// <summary>
    /// Five training steps (outputs, input and parameter gradients, running statistics, batch count), then eval
    /// (running statistics used, none updated), against TorchSharp's own module with the same weights.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainsAndEvaluatesExactlyAsTorchSharpsBatchNorm(bool spatial, int dims)
    {
        const long features = 3;
        using var ours = new BatchNormalization(features, spatial, eps: 1e-3, momentum: 0.1);
        using var theirs = Theirs(spatial, features, eps: 1e-3, momentum: 0.1);
        using (no_grad())
        {
            using var w = empty(features).uniform_(0.5, 1.5);
            using var b = randn(features);
            ours.weight.copy_(w);
            ours.bias!.copy_(b);
            foreach (var (name, p) in theirs.named_parameters()) p.copy_(name == "weight" ? w : b);
        }

        ours.train();
        theirs.train();
        for (int step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            using var data = Normal(BatchShape(spatial, dims, features), mean: step, std: 3);
            var x1 = data.clone().requires_grad_(true);
            var x2 = data.clone().requires_grad_(true);
            var y1 = ours.forward(x1);
            var y2 = theirs.forward(x2);
            AssertClose(y2, y1, $"step {step} output");
            using var upstream = randn(y1.shape);
            (y1 * upstream).sum().backward();
            (y2 * upstream).sum().backward();
            AssertClose(x2.grad!, x1.grad!, $"step {step} input gradient");
        }
        var theirParameters = theirs.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        AssertClose(theirParameters["weight"].grad!, ours.weight.grad!, "weight gradient");
        AssertClose(theirParameters["bias"].grad!, ours.bias!.grad!, "bias gradient");

        var theirBuffers = theirs.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        AssertClose(theirBuffers["running_mean"], ours.running_mean!, "running_mean");
        AssertClose(theirBuffers["running_var"], ours.running_var!, "running_var");
        Assert.Equal(5L, ours.num_batches_tracked!.item<long>());
        Assert.Equal(ScalarType.Int64, ours.num_batches_tracked.dtype);
        Assert.Equal(theirBuffers["num_batches_tracked"].item<long>(), ours.num_batches_tracked.item<long>());

        ours.eval();
        theirs.eval();
        using var before = ours.running_mean!.clone();
        using var test = Normal(BatchShape(spatial, dims, features), mean: -1, std: 2);
        using var e1 = ours.forward(test);
        using var e2 = theirs.forward(test);
        AssertClose(e2, e1, "eval output");
        AssertClose(before, ours.running_mean!, "running_mean after eval");
        Assert.Equal(5L, ours.num_batches_tracked.item<long>());
    }

    /// <summary>Same names, shapes and dtypes in the state dict: weight files and checkpoints carry over both ways.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HasTheSameStateAsTorchSharpsBatchNormAndLoadsItsSavedWeights(bool spatial)
    {
        using var ours = new BatchNormalization(4, spatial, eps: 1e-3, momentum: 0.01);
        using var theirs = Theirs(spatial, 4, eps: 1e-3, momentum: 0.01);
        var ourState = ours.state_dict();
        var theirState = theirs.state_dict();
        Assert.Equal(theirState.Keys.ToArray(), ourState.Keys.ToArray());
        foreach (var key in theirState.Keys)
        {
            Assert.Equal(theirState[key].shape, ourState[key].shape);
            Assert.Equal(theirState[key].dtype, ourState[key].dtype);
        }

        // TorchSharp's module, trained a little, saved in TorchSharp's format, loaded into ours.
        theirs.train();
        using (var scope = NewDisposeScope()) theirs.forward(Normal(BatchShape(spatial, 2, 4), mean: 2, std: 5));
        using (no_grad()) foreach (var (_, p) in theirs.named_parameters()) p.copy_(randn(4));
        var file = Path.Combine(Path.GetTempPath(), $"mnistcnn-bn-{Guid.NewGuid():N}.bin");
        try
        {
            theirs.save(file);
            ours.load(file);
        }
        finally
        {
            File.Delete(file);
        }
        foreach (var (key, value) in theirs.state_dict()) AssertClose(value, ours.state_dict()[key], key);
        Assert.Equal(1L, ours.num_batches_tracked!.item<long>());
    }

    [Theory]
    [InlineData(true, 3)]
    [InlineData(true, 2)]
    [InlineData(false, 4)]
    public void RejectsAnInputOfTheWrongRankAsTorchSharpDoes(bool spatial, int dims)
    {
        using var ours = new BatchNormalization(2, spatial, eps: 1e-3, momentum: 0.01);
        using var x = zeros(Enumerable.Repeat(2L, dims).ToArray());
        var error = Assert.Throws<ArgumentException>(() => ours.forward(x));
        Assert.Contains($"got {dims}D input", error.Message, StringComparison.Ordinal);
    }

    /// <summary>No model we build carries TorchSharp's batch norm, whose training forward races the finalizer.</summary>
    [Fact]
    public void ModelsWithBatchNormUseOurModuleOnly()
    {
        var spec = new ModelSpec(MnistCnn.Core.Data.InputShape.Mnist, 10, new LayerSpec[]
        {
            new Conv2DSpec(4, 3, 3), new BatchNormSpec(), new MaxPool2DSpec(2, 2), new FlattenSpec(),
            new DenseSpec(8), new BatchNormSpec(), new DenseSpec(10, Activation.Softmax),
        });
        var specs = ModelPresets.Names.Select(n => ModelPresets.Create(n)).Append(spec).ToArray();
        int found = 0;
        foreach (var s in specs)
        {
            using var model = new CnnModel(s);
            var modules = model.named_modules().Select(m => m.module).ToArray();
            Assert.DoesNotContain(modules, m => m is TorchSharp.Modules.BatchNorm1d or TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm3d);
            found += modules.Count(m => m is BatchNormalization);
        }
        Assert.True(found >= 2, $"expected the test spec's two batch-norm layers at least, found {found}");
    }
}
