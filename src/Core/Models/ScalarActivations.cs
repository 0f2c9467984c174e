using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Models;

/// <summary>
/// ELU (alpha 1, as Keras' 'elu' and TorchSharp's nn.ELU()) that owns its scalars. TorchSharp 0.107's nn.ELU forward
/// calls <c>Tensor.elu(double)</c>, which converts alpha, scale and input scale to Scalars nobody disposes and passes
/// them to libtorch; a collection during that call can free them (the race behind MNC0001, docs/development.md#analyzers).
/// </summary>
internal sealed class Elu : nn.Module<Tensor, Tensor>
{
    private readonly Scalar alpha = 1.0.ToScalar();
    private readonly Scalar scale = 1.0.ToScalar();
    private readonly Scalar inputScale = 1.0.ToScalar();

    public Elu() : base("ELU") { }

    public override Tensor forward(Tensor input) => input.elu(alpha, scale, inputScale);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            alpha.Dispose();
            scale.Dispose();
            inputScale.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// Leaky ReLU that owns its negative slope. TorchSharp 0.107's nn.LeakyReLU forward passes the slope as a double
/// that becomes a Scalar nobody disposes, read by libtorch during the call (the same race as <see cref="Elu"/>).
/// </summary>
internal sealed class LeakyRelu : nn.Module<Tensor, Tensor>
{
    private readonly Scalar slope;

    public LeakyRelu(double negativeSlope) : base("LeakyReLU")
    {
        NegativeSlope = negativeSlope;
        slope = negativeSlope.ToScalar();
    }

    public double NegativeSlope { get; }

    public override Tensor forward(Tensor input) => input.leaky_relu(slope);

    protected override void Dispose(bool disposing)
    {
        if (disposing) slope.Dispose();
        base.Dispose(disposing);
    }
}
