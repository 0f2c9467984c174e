using MnistCnn.Core.Data;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Models;

/// <summary>JSON form of model architectures: <c>{ "input": [28,28,1], "classes": 10, "layers": [ { "type": "conv2d", ... } ] }</c>.</summary>
public static class SpecJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static JsonObject ToJson(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new JsonObject
        {
            ["name"] = spec.Name,
            ["input"] = new JsonArray(spec.Input.Height, spec.Input.Width, spec.Input.Channels),
            ["classes"] = spec.Classes,
            ["layers"] = new JsonArray(spec.Layers.Select(LayerToJson).ToArray()),
        };
    }

    public static JsonObject LayerToJson(LayerSpec layer) => layer switch
    {
        Conv2DSpec c => new JsonObject
        {
            ["type"] = c.Kind, ["filters"] = c.Filters, ["kernel"] = new JsonArray(c.KernelHeight, c.KernelWidth),
            ["strides"] = new JsonArray(c.StrideHeight, c.StrideWidth), ["padding"] = Lower(c.Padding), ["activation"] = ActivationNames.ToName(c.Activation),
        },
        MaxPool2DSpec m => new JsonObject
        {
            ["type"] = m.Kind, ["pool"] = new JsonArray(m.PoolHeight, m.PoolWidth),
            ["strides"] = m.StrideHeight is null && m.StrideWidth is null ? null : new JsonArray(m.EffectiveStrideHeight, m.EffectiveStrideWidth),
            ["padding"] = Lower(m.Padding),
        },
        AvgPool2DSpec a => new JsonObject
        {
            ["type"] = a.Kind, ["pool"] = new JsonArray(a.PoolHeight, a.PoolWidth),
            ["strides"] = a.StrideHeight is null && a.StrideWidth is null ? null : new JsonArray(a.EffectiveStrideHeight, a.EffectiveStrideWidth),
            ["padding"] = Lower(a.Padding),
        },
        FlattenSpec f => new JsonObject { ["type"] = f.Kind },
        DenseSpec d => new JsonObject { ["type"] = d.Kind, ["units"] = d.Units, ["activation"] = ActivationNames.ToName(d.Activation) },
        DropoutSpec dr => new JsonObject { ["type"] = dr.Kind, ["rate"] = dr.Rate },
        BatchNormSpec bn => new JsonObject { ["type"] = bn.Kind, ["momentum"] = bn.Momentum, ["epsilon"] = bn.Epsilon },
        _ => throw new NotSupportedException(layer.GetType().Name),
    };

    public static ModelSpec FromJson(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var input = node["input"]!.AsArray();
        var layers = node["layers"]!.AsArray().Select(l => LayerFromJson(l!)).ToList();
        return new ModelSpec(new InputShape((int)input[0]!, (int)input[1]!, (int)input[2]!), (int)node["classes"]!, layers, (string?)node["name"] ?? "custom");
    }

    public static LayerSpec LayerFromJson(JsonNode l)
    {
        ArgumentNullException.ThrowIfNull(l);
        string type = (string)l["type"]!;
        var kind = LayerFactory.FindCanonical(type)
            ?? throw new MnistCnnException(ModelsErrorIds.ModelFileInvalid, ErrorKind.InvalidData, $"Unknown layer type '{type}' in model JSON.", type);
        // Model JSON names the window "kernel" (conv2d) or "pool" (pooling); the rest as the spec does.
        var arguments = new LayerArguments
        {
            Filters = (int?)l["filters"],
            Units = (int?)l["units"],
            Window = OptionalPair(l, "kernel") ?? OptionalPair(l, "pool"),
            Strides = OptionalPair(l, "strides"),
            Padding = ParsePadding(l),
            Activation = ParseActivation(l),
            Rate = (double?)l["rate"],
            Momentum = (double?)l["momentum"],
            Epsilon = (double?)l["epsilon"],
        };
        return LayerFactory.Create(kind, arguments);
    }

    private static (int, int) Pair(JsonNode l, string key)
    {
        var a = l[key]!.AsArray();
        return ((int)a[0]!, (int)a[1]!);
    }

    private static (int, int)? OptionalPair(JsonNode l, string key) => l[key] is null ? null : Pair(l, key);

    private static Padding ParsePadding(JsonNode l) =>
        string.Equals((string?)l["padding"], "same", StringComparison.OrdinalIgnoreCase) ? Padding.Same : Padding.Valid;

    private static Activation ParseActivation(JsonNode l) =>
        ActivationNames.TryParse((string?)l["activation"] ?? "linear", out var a) ? a : Activation.None;

    private static string Lower(Padding p) => p.ToString().ToLower(CultureInfo.InvariantCulture);
}
