using MnistCnn.Core.Data;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Models;

/// <summary>
/// A saved model's <c>model.json</c>, checked as a whole before anything is built from it: every problem (a missing
/// or mistyped field, an unknown layer type, a layer stack that does not fit, preprocessing that does not match the
/// input, class names that do not match the outputs) is listed in one ModelFileInvalid error that names the file.
/// </summary>
public sealed record ModelManifest(ModelSpec Spec, Preprocessing Preprocessing, IReadOnlyList<string> ClassNames, string Dataset, string? RunId, double? TestAccuracy)
{
    /// <summary>The largest input side a manifest may declare; larger ones are surely corrupt (MNIST is 28).</summary>
    public const int MaxInputSide = 4096;

    /// <summary>The most classes a manifest may declare.</summary>
    public const int MaxClasses = 100_000;

    /// <summary>Parses and checks <paramref name="json"/> read from <paramref name="manifestPath"/>.</summary>
    public static ModelManifest Parse(string json, string manifestPath, int formatVersion)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw Invalid(manifestPath, $"{manifestPath} is not a valid model manifest ({ex.Message}). Save the model again with Save-CnnModel.", ex);
        }
        if (root is not JsonObject manifest || Text(manifest, "format") != "mnistcnn-model" || Int(manifest, "formatVersion") is not { } version)
        {
            throw Invalid(manifestPath, $"{manifestPath} is not an MnistCnn model manifest.");
        }
        if (version > formatVersion)
        {
            throw new MnistCnnException(ModelsErrorIds.ModelFormatTooNew, ErrorKind.InvalidData,
                $"{manifestPath} has format version {version}; this toolkit reads up to {formatVersion}. Update MnistCnn.", manifestPath);
        }

        var problems = new List<string>();
        var reader = new Reader(problems);
        var spec = reader.Spec(manifest["model"]);
        var preprocessing = reader.Preprocessing(manifest["preprocessing"]);
        var classNames = reader.ClassNames(manifest["classNames"]);
        string dataset = reader.OptionalText(manifest, "dataset", "dataset") ?? "unknown";
        string? runId = reader.OptionalText(manifest, "runId", "runId");
        double? accuracy = reader.OptionalNumber(manifest, "testAccuracy", "testAccuracy");
        if (problems.Count > 0 || spec is null || preprocessing is null || classNames is null)
        {
            throw Invalid(manifestPath, string.Create(CultureInfo.InvariantCulture,
                $"{manifestPath} has {problems.Count} problem{(problems.Count == 1 ? "" : "s")}; it cannot be loaded. Save the model again with Save-CnnModel, or fix:")
                + string.Concat(problems.Select(p => Environment.NewLine + "  " + p)));
        }
        return new ModelManifest(spec, preprocessing, classNames, dataset, runId, accuracy);
    }

    /// <summary>The fewest bytes a weights file of <paramref name="spec"/> can have: every parameter and buffer as float32.</summary>
    public static long MinimumWeightsBytes(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Summarize().Sum(r => r.Parameters) * sizeof(float);
    }

    private static MnistCnnException Invalid(string manifestPath, string message, Exception? inner = null) =>
        new(ModelsErrorIds.ModelFileInvalid, ErrorKind.InvalidData, message, manifestPath, inner);

    private static string? Text(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static int? Int(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue(out int i) ? i : null;

    /// <summary>Reads typed fields, adding a problem (with its JSON path) for each one that is missing or wrong.</summary>
    private sealed class Reader(List<string> problems)
    {
        /// <summary>The input shape and class count, when they parsed (even if the layers did not), for the checks against them.</summary>
        public InputShape? Input { get; private set; }

        public int? Classes { get; private set; }

        public ModelSpec? Spec(JsonNode? node)
        {
            if (node is not JsonObject model)
            {
                problems.Add("model: missing, or not an object with input, classes and layers");
                return null;
            }
            string name = OptionalText(model, "name", "model.name") ?? "custom";
            InputShape? input = null;
            if (model["input"] is JsonArray { Count: 3 } dims)
            {
                var h = Integer(dims[0], "model.input[0] (height)", 1, MaxInputSide);
                var w = Integer(dims[1], "model.input[1] (width)", 1, MaxInputSide);
                var c = Integer(dims[2], "model.input[2] (channels)", 1, 64);
                if (h is not null && w is not null && c is not null) input = new InputShape(h.Value, w.Value, c.Value);
            }
            else
            {
                problems.Add("model.input: must be [height, width, channels]");
            }
            int? classes = Integer(model["classes"], "model.classes", 2, MaxClasses);
            Input = input;
            Classes = classes;
            var layers = new List<LayerSpec>();
            bool layersOk = true;
            if (model["layers"] is JsonArray list && list.Count > 0)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    var layer = Layer(list[i], $"model.layers[{i}]");
                    if (layer is null) layersOk = false;
                    else layers.Add(layer);
                }
            }
            else
            {
                problems.Add("model.layers: must be a non-empty list of layers");
                layersOk = false;
            }
            if (input is null || classes is null || !layersOk) return null;
            var spec = new ModelSpec(input, classes.Value, layers, name);
            foreach (var p in spec.Validate())
            {
                problems.Add(p.LayerIndex < 0 ? $"model: {p.Message}" : string.Create(CultureInfo.InvariantCulture, $"model.layers[{p.LayerIndex}] ({layers[p.LayerIndex].Kind}): {p.Message}"));
            }
            return problems.Count == 0 ? spec : null;
        }

        private LayerSpec? Layer(JsonNode? node, string at)
        {
            if (node is not JsonObject l)
            {
                problems.Add($"{at}: must be an object with a type");
                return null;
            }
            string? type = Text(l, "type");
            int before = problems.Count;
            string known = string.Join(", ", LayerFactory.Kinds.Select(k => k.Name));
            if (type is null) return Fail($"{at}.type: missing; one of {known}");
            if (LayerFactory.FindCanonical(type) is not { } kind) return Fail($"{at}.type: unknown layer type '{type}'; known types are {known}");
            LayerArguments? arguments = kind.Name switch
            {
                "conv2d" => Conv(l, at),
                "max_pooling2d" or "average_pooling2d" => Pool(l, at),
                "dense" => Integer(l["units"], at + ".units", int.MinValue, int.MaxValue) is { } units && Activation(l, at) is { } act ? new LayerArguments { Units = units, Activation = act } : null,
                "dropout" => Number(l["rate"], at + ".rate") is { } rate ? new LayerArguments { Rate = rate } : null,
                "batch_normalization" => new LayerArguments { Momentum = OptionalNumber(l, "momentum", at + ".momentum"), Epsilon = OptionalNumber(l, "epsilon", at + ".epsilon") },
                _ => new LayerArguments(),
            };
            return problems.Count == before && arguments is not null ? LayerFactory.Create(kind, arguments) : null;
        }

        /// <summary>A conv2d's arguments: in a manifest kernel and strides are required (the writer always states them).</summary>
        private LayerArguments? Conv(JsonObject l, string at)
        {
            var filters = Integer(l["filters"], at + ".filters", int.MinValue, int.MaxValue);
            var kernel = Pair(l["kernel"], at + ".kernel");
            var strides = Pair(l["strides"], at + ".strides");
            var padding = Padding(l, at);
            var activation = Activation(l, at);
            return filters is null || kernel is null || strides is null || padding is null || activation is null ? null
                : new LayerArguments { Filters = filters, Window = kernel, Strides = strides, Padding = padding, Activation = activation };
        }

        private LayerArguments? Pool(JsonObject l, string at)
        {
            var pool = Pair(l["pool"], at + ".pool");
            (int, int)? strides = l["strides"] is null ? (0, 0) : Pair(l["strides"], at + ".strides");
            var padding = Padding(l, at);
            if (pool is null || strides is null || padding is null) return null;
            return new LayerArguments { Window = pool, Strides = l["strides"] is null ? null : strides, Padding = padding };
        }

        private Padding? Padding(JsonObject l, string at)
        {
            if (l["padding"] is null) return Models.Padding.Valid;
            return Text(l, "padding")?.ToLowerInvariant() switch
            {
                "same" => Models.Padding.Same,
                "valid" => Models.Padding.Valid,
                _ => Fail<Padding>($"{at}.padding: must be \"same\" or \"valid\""),
            };
        }

        private Activation? Activation(JsonObject l, string at)
        {
            if (l["activation"] is null) return Models.Activation.None;
            if (Text(l, "activation") is { } name && ActivationNames.TryParse(name, out var a)) return a;
            return Fail<Activation>($"{at}.activation: unknown activation {l["activation"]?.ToJsonString()}; known: {string.Join(", ", ActivationNames.Names)}");
        }

        private (int, int)? Pair(JsonNode? node, string at)
        {
            if (node is not JsonArray { Count: 2 } a) return Fail<(int, int)>($"{at}: must be [height, width]");
            var h = Integer(a[0], at + "[0]", int.MinValue, int.MaxValue);
            var w = Integer(a[1], at + "[1]", int.MinValue, int.MaxValue);
            return h is null || w is null ? null : (h.Value, w.Value);
        }

        public Preprocessing? Preprocessing(JsonNode? node)
        {
            var defaults = new Preprocessing();
            if (node is null) return Input is null ? defaults : defaults with { Height = Input.Height, Width = Input.Width, Channels = Input.Channels };
            if (node is not JsonObject p)
            {
                problems.Add("preprocessing: must be an object (height, width, channels, scale, darkBackground)");
                return null;
            }
            int before = problems.Count;
            int? height = p["height"] is null ? defaults.Height : Integer(p["height"], "preprocessing.height", 1, MaxInputSide);
            int? width = p["width"] is null ? defaults.Width : Integer(p["width"], "preprocessing.width", 1, MaxInputSide);
            int? channels = p["channels"] is null ? defaults.Channels : Integer(p["channels"], "preprocessing.channels", 1, 64);
            double? scale = p["scale"] is null ? defaults.Scale : Number(p["scale"], "preprocessing.scale");
            if (scale is { } s && !(s > 0 && double.IsFinite(s))) problems.Add(string.Create(CultureInfo.InvariantCulture, $"preprocessing.scale: {s} must be a positive number (1/255 maps 8-bit pixels to [0, 1])"));
            bool dark = defaults.DarkBackground;
            if (p["darkBackground"] is { } db)
            {
                if (db is JsonValue v && v.TryGetValue(out bool b)) dark = b;
                else problems.Add("preprocessing.darkBackground: must be true or false");
            }
            if (Input is not null && height is not null && width is not null && (height != Input.Height || width != Input.Width))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"preprocessing: images are prepared as {height}x{width} but the model's input is {Input.Height}x{Input.Width}; they must agree"));
            }
            if (Input is not null && channels is not null && channels != Input.Channels)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"preprocessing.channels: {channels} but the model's input has {Input.Channels}"));
            }
            return problems.Count > before ? null : new Preprocessing(height!.Value, width!.Value, channels!.Value, scale!.Value, dark);
        }

        public IReadOnlyList<string>? ClassNames(JsonNode? node)
        {
            if (node is null) return Classes is not { } count ? null : Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            if (node is not JsonArray a)
            {
                problems.Add("classNames: must be a list of names");
                return null;
            }
            var names = new List<string>();
            for (int i = 0; i < a.Count; i++)
            {
                if (a[i] is JsonValue v && v.TryGetValue(out string? s)) names.Add(s);
                else problems.Add(string.Create(CultureInfo.InvariantCulture, $"classNames[{i}]: must be a string"));
            }
            if (Classes is { } classes && a.Count != classes)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"classNames: {a.Count} names but the model has {classes} outputs (model.classes); give one name per output"));
            }
            return names.Count == a.Count ? names : null;
        }

        public string? OptionalText(JsonObject o, string key, string at)
        {
            if (o[key] is null) return null;
            if (o[key] is JsonValue v && v.TryGetValue(out string? s)) return s;
            problems.Add($"{at}: must be a string");
            return null;
        }

        public double? OptionalNumber(JsonObject o, string key, string at) => o[key] is null ? null : Number(o[key], at);

        private double? Number(JsonNode? node, string at)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d)) return d;
            problems.Add($"{at}: must be a number");
            return null;
        }

        private int? Integer(JsonNode? node, string at, int min, int max)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long l))
            {
                if (l >= min && l <= max) return (int)l;
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{at}: {l} must be between {min} and {max}"));
                return null;
            }
            problems.Add(node is null ? $"{at}: missing (an integer)" : $"{at}: must be an integer, not {node.ToJsonString()}");
            return null;
        }

        private LayerSpec? Fail(string problem)
        {
            problems.Add(problem);
            return null;
        }

        private T? Fail<T>(string problem) where T : struct
        {
            problems.Add(problem);
            return null;
        }
    }
}
