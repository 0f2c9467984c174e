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
        return type switch
        {
            "conv2d" => new Conv2DSpec((int)l["filters"]!, Pair(l, "kernel").Item1, Pair(l, "kernel").Item2, Pair(l, "strides").Item1, Pair(l, "strides").Item2,
                ParsePadding(l), ParseActivation(l)),
            "max_pooling2d" => new MaxPool2DSpec(Pair(l, "pool").Item1, Pair(l, "pool").Item2, OptionalPair(l, "strides")?.Item1, OptionalPair(l, "strides")?.Item2, ParsePadding(l)),
            "average_pooling2d" => new AvgPool2DSpec(Pair(l, "pool").Item1, Pair(l, "pool").Item2, OptionalPair(l, "strides")?.Item1, OptionalPair(l, "strides")?.Item2, ParsePadding(l)),
            "flatten" => new FlattenSpec(),
            "dense" => new DenseSpec((int)l["units"]!, ParseActivation(l)),
            "dropout" => new DropoutSpec((double)l["rate"]!),
            "batch_normalization" => new BatchNormSpec((double?)l["momentum"] ?? 0.99, (double?)l["epsilon"] ?? 0.001),
            _ => throw new MnistCnnException("ModelFileInvalid", ErrorKind.InvalidData, $"Unknown layer type '{type}' in model JSON.", type),
        };
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
