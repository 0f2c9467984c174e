// TorchSharp's own ELU and LeakyReLU are the reference these tests compare ours against (MNC0004).
#pragma warning disable MNC0004
using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Models;

/// <summary>
/// ELU and leaky ReLU that own their scalars stand in for TorchSharp's modules (which convert theirs on every call):
/// the same values and gradients, and the models use them.
/// </summary>
public class ScalarActivationsTests
{
    public static TheoryData<string> Kinds => new() { "elu", "leaky_relu" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void GivesTorchSharpsValuesAndGradients(string kind)
    {
        using nn.Module<Tensor, Tensor> ours = kind == "elu" ? new Elu() : new LeakyRelu(0.3);
        using nn.Module<Tensor, Tensor> theirs = kind == "elu" ? nn.ELU() : nn.LeakyReLU(0.3);
        using var data = empty(4, 3, 5, 5).normal_(0, 2);
        using var x1 = data.clone().requires_grad_(true);
        using var x2 = data.clone().requires_grad_(true);
        using var y1 = ours.forward(x1);
        using var y2 = theirs.forward(x2);
        Assert.Equal(y2.data<float>().ToArray(), y1.data<float>().ToArray());
        Assert.Contains(y1.data<float>().ToArray(), v => v < 0); // the negative side, where alpha and the slope act
        using var upstream = empty(y1.shape).normal_(0, 1);
        using (var l1 = y1.mul(upstream).sum()) l1.backward();
        using (var l2 = y2.mul(upstream).sum()) l2.backward();
        Assert.Equal(x2.grad!.data<float>().ToArray(), x1.grad!.data<float>().ToArray());
    }

    [Fact]
    public void LeakyReluKeepsItsSlopeAndModelsUseTheOwnedModules()
    {
        using var relu = new LeakyRelu(0.3);
        Assert.Equal(0.3, relu.NegativeSlope);
        using var x = tensor(new float[] { -2f, 0f, 4f });
        using var y = relu.forward(x);
        Assert.Equal(new[] { -0.6f, 0f, 4f }, y.data<float>().ToArray());

        var spec = new ModelSpec(new InputShape(8, 8, 1), 3, new LayerSpec[]
        {
            new Conv2DSpec(4, 3, 3, Activation: Activation.Elu), new Conv2DSpec(4, 3, 3, Activation: Activation.LeakyRelu),
            new FlattenSpec(), new DenseSpec(3, Activation.Softmax),
        });
        using var model = new CnnModel(spec);
        var modules = model.named_modules().Select(m => m.module).ToArray();
        Assert.Single(modules.OfType<Elu>());
        Assert.Single(modules.OfType<LeakyRelu>());
        Assert.DoesNotContain(modules, m => m is TorchSharp.Modules.ELU or TorchSharp.Modules.LeakyReLU);
    }
}
