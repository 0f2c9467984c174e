using System.Text.Json.Nodes;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Models;
using MnistCnn.Core.Tests.Experiments;

namespace MnistCnn.Core.Tests.Models;

public sealed class LayerFactoryTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    [Fact]
    public void DefaultsComeFromOnePlace()
    {
        var conv = Assert.IsType<Conv2DSpec>(LayerFactory.Create(LayerFactory.Find("conv2d")!, new LayerArguments { Filters = 8 }));
        Assert.Equal(new Conv2DSpec(8), conv);
        Assert.Equal((LayerDefaults.Kernel, LayerDefaults.Kernel, LayerDefaults.Stride, LayerDefaults.PaddingMode, LayerDefaults.ActivationFunction),
            (conv.KernelHeight, conv.KernelWidth, conv.StrideHeight, conv.Padding, conv.Activation));
        Assert.Equal(new MaxPool2DSpec(2, 2), LayerFactory.Create(LayerFactory.Find("MaxPool2D")!, new LayerArguments()));
        Assert.Equal(new DropoutSpec(LayerDefaults.DropoutRate), LayerFactory.Create(LayerFactory.Find("dropout")!, new LayerArguments()));
        Assert.Equal(new BatchNormSpec(0.99, 0.001), LayerFactory.Create(LayerFactory.Find("batchnorm")!, new LayerArguments()));
        Assert.Throws<ArgumentException>(() => LayerFactory.Create(LayerFactory.Find("dense")!, new LayerArguments()));
    }

    [Fact]
    public void SpellingsResolveToOneKind()
    {
        Assert.Equal("max_pooling2d", LayerFactory.Find("maxpool2d")!.Name);
        Assert.Equal("batch_normalization", LayerFactory.Find("BatchNorm")!.Name);
        Assert.Null(LayerFactory.FindCanonical("batchnorm"));
        Assert.Equal("average_pooling2d", LayerFactory.ForCmdlet("AvgPool2D").Name);
        Assert.Null(LayerFactory.Find("conv3d"));
        Assert.Equal(LayerFactory.Kinds.Select(k => k.Name), SpecKeys.Layers.Keys);
    }

    public static TheoryData<string, string> SameLayerThreeWays() => new()
    {
        { "{ type: conv2d, filters: 16, kernelSize: [5, 3], strides: 2, padding: same, activation: tanh }", "conv2d" },
        { "{ type: maxpool2d, poolSize: 3 }", "max_pooling2d" },
        { "{ type: average_pooling2d, poolSize: [2, 3], strides: 1 }", "average_pooling2d" },
        { "{ type: dense, units: 12, activation: softmax }", "dense" },
        { "{ type: dropout }", "dropout" },
        { "{ type: batchnorm, momentum: 0.9 }", "batch_normalization" },
        { "{ type: flatten }", "flatten" },
    };

    /// <summary>A layer read from a spec, written to model JSON and read back is the same layer (the manifest reader is pinned by the model store and hostile-model tests).</summary>
    [Theory]
    [MemberData(nameof(SameLayerThreeWays))]
    public void SpecJsonAndManifestReadersAgree(string yaml, string kind)
    {
        // A dense layer needs the flatten before it; the others go before the flatten.
        var path = kind == "dense"
            ? files.Write("m.yaml", "model:", "  layers:", "    - { type: flatten }", "    - " + yaml, "    - { type: dense, units: 10, activation: softmax }")
            : files.Write("m.yaml", "model:", "  layers:", "    - " + yaml, "    - { type: flatten }", "    - { type: dense, units: 10, activation: softmax }");
        var plan = ExperimentPlan.Check(path, out var problems, out _);
        Assert.True(plan is not null, string.Join("\n", problems));
        var fromSpec = plan.Trials[0].Spec.Model.Layers.First(l => l.Kind == kind);
        Assert.Equal(kind, fromSpec.Kind);
        var json = SpecJson.LayerToJson(fromSpec);
        Assert.Equal(fromSpec, SpecJson.LayerFromJson(JsonNode.Parse(json.ToJsonString())!));
    }

    [Fact]
    public void ASpecLayerWithANullRequiredKeyIsReportedNotGuessed()
    {
        var path = files.Write("bad.yaml", "model:", "  layers:", "    - { type: conv2d, filters: null }", "    - { type: flatten }", "    - { type: dense, units: 10, activation: softmax }");
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.MissingKey);
        Assert.Contains("needs 'filters'", d.Message, StringComparison.Ordinal);
    }
}
