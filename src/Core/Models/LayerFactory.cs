namespace MnistCnn.Core.Models;

/// <summary>The defaults of layer arguments, stated once (the layer records, the spec reader, model JSON and New-CnnLayer use them).</summary>
public static class LayerDefaults
{
    public const int Kernel = 3;
    public const int Pool = 2;
    public const int Stride = 1;
    public const Padding PaddingMode = Padding.Valid;
    public const Activation ActivationFunction = Activation.Relu;
    public const double DropoutRate = 0.5;
    public const double BatchNormMomentum = 0.99;
    public const double BatchNormEpsilon = 0.001;
}

/// <summary>Arguments of a layer as any reader found them; what is null takes the layer kind's default.</summary>
public sealed record LayerArguments
{
    public int? Filters { get; init; }
    public int? Units { get; init; }
    /// <summary>Conv2D kernel or pooling window (height, width).</summary>
    public (int Height, int Width)? Window { get; init; }
    public (int Height, int Width)? Strides { get; init; }
    public Padding? Padding { get; init; }
    public Activation? Activation { get; init; }
    public double? Rate { get; init; }
    public double? Momentum { get; init; }
    public double? Epsilon { get; init; }
}

/// <summary>
/// One kind of layer: its canonical (Keras) name, the name New-CnnLayer -Type uses, the other spellings a spec
/// accepts, the keys a spec may give it, the ones it must give, and how it is built from <see cref="LayerArguments"/>.
/// </summary>
public sealed record LayerKindInfo(string Name, string CmdletName, IReadOnlyList<string> Aliases, IReadOnlyList<string> SpecKeys, IReadOnlyList<string> Required,
    Func<LayerArguments, LayerSpec> Build);

/// <summary>
/// The one place layer kinds, their spellings and defaults are declared. New-CnnLayer, the YAML spec reader
/// (SpecBinder) and model JSON (<see cref="SpecJson"/>) read arguments in their own syntax and build layers here.
/// </summary>
public static class LayerFactory
{
    public static readonly IReadOnlyList<LayerKindInfo> Kinds = new LayerKindInfo[]
    {
        new("conv2d", "Conv2D", Array.Empty<string>(), new[] { "type", "filters", "kernelSize", "strides", "padding", "activation" }, new[] { "filters" },
            a => new Conv2DSpec(a.Filters ?? throw Missing("conv2d", "filters"), Window(a, LayerDefaults.Kernel).Height, Window(a, LayerDefaults.Kernel).Width,
                a.Strides?.Height ?? LayerDefaults.Stride, a.Strides?.Width ?? LayerDefaults.Stride, a.Padding ?? LayerDefaults.PaddingMode, a.Activation ?? LayerDefaults.ActivationFunction)),
        new("max_pooling2d", "MaxPool2D", new[] { "maxpool2d" }, new[] { "type", "poolSize", "strides", "padding" }, Array.Empty<string>(),
            a => new MaxPool2DSpec(Window(a, LayerDefaults.Pool).Height, Window(a, LayerDefaults.Pool).Width, a.Strides?.Height, a.Strides?.Width, a.Padding ?? LayerDefaults.PaddingMode)),
        new("average_pooling2d", "AvgPool2D", new[] { "avgpool2d" }, new[] { "type", "poolSize", "strides", "padding" }, Array.Empty<string>(),
            a => new AvgPool2DSpec(Window(a, LayerDefaults.Pool).Height, Window(a, LayerDefaults.Pool).Width, a.Strides?.Height, a.Strides?.Width, a.Padding ?? LayerDefaults.PaddingMode)),
        new("flatten", "Flatten", Array.Empty<string>(), new[] { "type" }, Array.Empty<string>(), _ => new FlattenSpec()),
        new("dense", "Dense", Array.Empty<string>(), new[] { "type", "units", "activation" }, new[] { "units" },
            a => new DenseSpec(a.Units ?? throw Missing("dense", "units"), a.Activation ?? LayerDefaults.ActivationFunction)),
        new("dropout", "Dropout", Array.Empty<string>(), new[] { "type", "rate" }, Array.Empty<string>(), a => new DropoutSpec(a.Rate ?? LayerDefaults.DropoutRate)),
        new("batch_normalization", "BatchNorm", new[] { "batchnorm" }, new[] { "type", "momentum", "epsilon" }, Array.Empty<string>(),
            a => new BatchNormSpec(a.Momentum ?? LayerDefaults.BatchNormMomentum, a.Epsilon ?? LayerDefaults.BatchNormEpsilon)),
    };

    /// <summary>Every accepted spelling (canonical names, then aliases, per kind) to its kind, ignoring case.</summary>
    public static readonly IReadOnlyDictionary<string, LayerKindInfo> BySpelling =
        Kinds.SelectMany(k => new[] { k.Name }.Concat(k.Aliases).Select(s => (s, k))).ToDictionary(p => p.s, p => p.k, StringComparer.OrdinalIgnoreCase);

    /// <summary>The kind a spelling names (canonical name or alias, any case); null when none.</summary>
    public static LayerKindInfo? Find(string spelling) => BySpelling.GetValueOrDefault(spelling);

    /// <summary>The kind of this canonical name (as model JSON writes it); null when none.</summary>
    public static LayerKindInfo? FindCanonical(string name) => Kinds.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.Ordinal));

    /// <summary>The kind New-CnnLayer -Type names (Conv2D, MaxPool2D...).</summary>
    public static LayerKindInfo ForCmdlet(string cmdletName) =>
        Kinds.FirstOrDefault(k => string.Equals(k.CmdletName, cmdletName, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"'{cmdletName}' is not a layer kind.", nameof(cmdletName));

    /// <summary>A layer of <paramref name="kind"/> with <paramref name="arguments"/>, defaults for what they leave out.</summary>
    public static LayerSpec Create(LayerKindInfo kind, LayerArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(arguments);
        return kind.Build(arguments);
    }

    private static (int Height, int Width) Window(LayerArguments a, int square) => a.Window ?? (square, square);

    private static ArgumentException Missing(string kind, string key) => new($"A {kind} layer needs '{key}'.", key);
}
