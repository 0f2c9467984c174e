using System.Globalization;

namespace MnistCnn.Core.Models;

/// <summary>Keras padding modes: <c>Valid</c> (no padding) or <c>Same</c> (output = ceil(input / stride)).</summary>
public enum Padding
{
    Valid,
    Same,
}

/// <summary>Element-wise activations a layer can apply.</summary>
public enum Activation
{
    None,
    Relu,
    Softmax,
    Sigmoid,
    Tanh,
    Elu,
    Gelu,
    Selu,
    LeakyRelu,
}

/// <summary>One layer of a model, as a user declares it. Immutable; the model is built from a list of these.</summary>
public abstract record LayerSpec
{
    /// <summary>Keras-style kind name used in summaries and specs: conv2d, max_pooling2d, dense...</summary>
    public abstract string Kind { get; }

    /// <summary>A short human description, e.g. "Conv2D 32 3x3 relu".</summary>
    public abstract string Describe();
}

/// <summary>2-D convolution with Glorot-uniform kernels and zero biases.</summary>
public sealed record Conv2DSpec(
    int Filters,
    int KernelHeight = LayerDefaults.Kernel,
    int KernelWidth = LayerDefaults.Kernel,
    int StrideHeight = LayerDefaults.Stride,
    int StrideWidth = LayerDefaults.Stride,
    Padding Padding = LayerDefaults.PaddingMode,
    Activation Activation = LayerDefaults.ActivationFunction) : LayerSpec
{
    public override string Kind => "conv2d";

    public override string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"Conv2D {Filters} {KernelHeight}x{KernelWidth}{(StrideHeight != 1 || StrideWidth != 1 ? $" stride {StrideHeight}x{StrideWidth}" : "")}{(Padding == Padding.Same ? " same" : "")} {ActivationNames.ToName(Activation)}");
}

/// <summary>Max pooling. Stride defaults to the pool size, as in Keras.</summary>
public sealed record MaxPool2DSpec(int PoolHeight = LayerDefaults.Pool, int PoolWidth = LayerDefaults.Pool, int? StrideHeight = null, int? StrideWidth = null, Padding Padding = LayerDefaults.PaddingMode) : LayerSpec
{
    public override string Kind => "max_pooling2d";
    public int EffectiveStrideHeight => StrideHeight ?? PoolHeight;
    public int EffectiveStrideWidth => StrideWidth ?? PoolWidth;

    public override string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"MaxPool2D {PoolHeight}x{PoolWidth}{(EffectiveStrideHeight != PoolHeight || EffectiveStrideWidth != PoolWidth ? $" stride {EffectiveStrideHeight}x{EffectiveStrideWidth}" : "")}{(Padding == Padding.Same ? " same" : "")}");
}

/// <summary>Average pooling. Stride defaults to the pool size; <c>Same</c> padding averages only real pixels, as Keras does.</summary>
public sealed record AvgPool2DSpec(int PoolHeight = LayerDefaults.Pool, int PoolWidth = LayerDefaults.Pool, int? StrideHeight = null, int? StrideWidth = null, Padding Padding = LayerDefaults.PaddingMode) : LayerSpec
{
    public override string Kind => "average_pooling2d";
    public int EffectiveStrideHeight => StrideHeight ?? PoolHeight;
    public int EffectiveStrideWidth => StrideWidth ?? PoolWidth;

    public override string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"AvgPool2D {PoolHeight}x{PoolWidth}{(EffectiveStrideHeight != PoolHeight || EffectiveStrideWidth != PoolWidth ? $" stride {EffectiveStrideHeight}x{EffectiveStrideWidth}" : "")}{(Padding == Padding.Same ? " same" : "")}");
}

/// <summary>Flattens feature maps into a vector.</summary>
public sealed record FlattenSpec : LayerSpec
{
    public override string Kind => "flatten";
    public override string Describe() => "Flatten";
}

/// <summary>Fully connected layer with Glorot-uniform weights and zero biases.</summary>
public sealed record DenseSpec(int Units, Activation Activation = LayerDefaults.ActivationFunction) : LayerSpec
{
    public override string Kind => "dense";
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"Dense {Units} {ActivationNames.ToName(Activation)}");
}

/// <summary>Drops a fraction <see cref="Rate"/> of activations while training.</summary>
public sealed record DropoutSpec(double Rate = LayerDefaults.DropoutRate) : LayerSpec
{
    public override string Kind => "dropout";
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"Dropout {Rate}");
}

/// <summary>Batch normalisation (Keras defaults: momentum 0.99, epsilon 0.001).</summary>
public sealed record BatchNormSpec(double Momentum = LayerDefaults.BatchNormMomentum, double Epsilon = LayerDefaults.BatchNormEpsilon) : LayerSpec
{
    public override string Kind => "batch_normalization";
    public override string Describe() => "BatchNorm";
}

/// <summary>Maps activation names as users write them (Keras spelling) to <see cref="Activation"/>.</summary>
public static class ActivationNames
{
    private static readonly Dictionary<string, Activation> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = Activation.None,
        ["linear"] = Activation.None,
        ["relu"] = Activation.Relu,
        ["softmax"] = Activation.Softmax,
        ["sigmoid"] = Activation.Sigmoid,
        ["tanh"] = Activation.Tanh,
        ["elu"] = Activation.Elu,
        ["gelu"] = Activation.Gelu,
        ["selu"] = Activation.Selu,
        ["leaky_relu"] = Activation.LeakyRelu,
        ["leakyrelu"] = Activation.LeakyRelu,
    };

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool TryParse(string name, out Activation activation) => ByName.TryGetValue(name, out activation);

    public static string ToName(Activation activation) => activation switch
    {
        Activation.None => "linear",
        Activation.LeakyRelu => "leaky_relu",
        _ => activation.ToString().ToLowerInvariant(),
    };
}
