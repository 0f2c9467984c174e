using System.Globalization;
using System.Text.RegularExpressions;
using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;
using MnistCnn.Core.Training.Settings;

namespace MnistCnn.Core.Experiments.Spec;

/// <summary>
/// Turns a merged spec tree (no <c>extends</c>, no <c>sweep</c>) into a typed <see cref="ExperimentSpec"/>,
/// collecting every problem with its position instead of stopping at the first.
/// </summary>
internal sealed partial class SpecBinder
{
    private readonly List<SpecDiagnostic> diagnostics;
    private readonly string topFile;
    private SpecMapping root = null!;

    public SpecBinder(string topFile, List<SpecDiagnostic> diagnostics)
    {
        this.topFile = topFile;
        this.diagnostics = diagnostics;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex SafeName();

    public ExperimentSpec? Bind(SpecMapping root)
    {
        this.root = root;
        int before = this.diagnostics.Count;
        CheckKeys(root, SpecKeys.Root, "");

        string name = Path.GetFileNameWithoutExtension(this.topFile);
        if (Str(root, "name", "name") is { } n)
        {
            if (SafeName().IsMatch(n) && n.Length <= 100) name = n;
            else Report(root["name"]!, SpecCodes.OutOfRange, $"name '{n}' names the run folder, so it may hold only letters, digits, '.', '_' and '-' (and start with a letter or digit).");
        }
        string? description = Str(root, "description", "description");

        var data = BindData(Section(root, "data", "data"), out double validationSplit, out var augmentation);
        var modelSettings = BindModelSettings(Section(root, "model", "model"), out var layerNodes);
        var training = BindTraining(Section(root, "training", "training")) with { ValidationSplit = validationSplit, Augmentation = augmentation };
        var tracking = BindTracking(Section(root, "tracking", "tracking"));
        var outputs = BindOutputs(Section(root, "outputs", "outputs"));

        training = training with { Report = outputs.Pictures };
        var model = BuildModel(modelSettings, layerNodes);
        foreach (var problem in training.Validate()) ReportTrainingProblem(problem);

        if (this.diagnostics.Count > before || model is null) return null;
        return new ExperimentSpec(name, description, this.topFile, data, modelSettings, model, training, tracking, outputs);
    }

    // ---- sections ----

    private DataSettings BindData(SpecMapping? m, out double validationSplit, out AugmentationOptions? augmentation)
    {
        validationSplit = 0;
        augmentation = null;
        if (m is null) return new DataSettings(DatasetKind.Mnist, null, null, null);
        augmentation = BindAugmentation(m);
        CheckKeys(m, SpecKeys.Data, "data");
        var kind = Choice(m, "dataset", "data.dataset", DatasetNames) ?? DatasetKind.Mnist;
        string? path = Str(m, "path", "data.path") is { } p ? Resolve(m["path"]!, p) : null;
        validationSplit = BindSettings(m, "data", new TrainingOptions()).ValidationSplit;
        int? train = Int(m, "trainSubset", "data.trainSubset", min: 1);
        int? test = Int(m, "testSubset", "data.testSubset", min: 1);
        return new DataSettings(kind, path, train, test);
    }

    /// <summary><c>data.augmentation</c>: true (the defaults), false or absent (none), or a mapping of the settings to change.</summary>
    private AugmentationOptions? BindAugmentation(SpecMapping data)
    {
        var node = data["augmentation"];
        switch (node)
        {
            case null:
            case SpecScalar { IsNull: true }:
                return null;
            case SpecScalar:
                return Bool(data, "augmentation", "data.augmentation") == true ? AugmentationOptions.Default : null;
            case SpecMapping m:
            {
                CheckKeys(m, SpecKeys.Augmentation, "data.augmentation");
                return BindSettings(m, "data.augmentation", new TrainingOptions { Augmentation = AugmentationOptions.Default }).Augmentation;
            }
            default:
                Report(node, SpecCodes.WrongType, $"data.augmentation must be true, false or a mapping of {string.Join(", ", SpecKeys.Augmentation)}, not {Describe(node)}.");
                return null;
        }
    }

    private ModelSettings BindModelSettings(SpecMapping? m, out List<SpecNode>? layerNodes)
    {
        layerNodes = null;
        if (m is null) return new ModelSettings(ModelPresets.KerasSeed, null, null);
        CheckKeys(m, SpecKeys.Model, "model");
        string? preset = Str(m, "preset", "model.preset");
        string? name = Str(m, "name", "model.name");
        var layersNode = m["layers"];
        if (layersNode is SpecScalar { IsNull: true }) layersNode = null;
        if (preset is not null && layersNode is not null)
        {
            Report(m.KeyNode("layers")!, SpecCodes.Conflict, "model.preset and model.layers cannot both be set: use a preset or list the layers (set 'preset: null' to drop an inherited preset).");
            return new ModelSettings(preset, null, name);
        }
        if (preset is not null && !ModelPresets.Exists(preset))
        {
            string? hint = SpecKeys.Suggest(preset, ModelPresets.Names);
            Report(m["preset"]!, SpecCodes.UnknownValue, $"model.preset '{preset}' is not a known preset{(hint is null ? "" : $"; did you mean '{hint}'?")} Known presets: {string.Join(", ", ModelPresets.Names)}.");
        }
        if (layersNode is null) return new ModelSettings(preset ?? ModelPresets.KerasSeed, null, name);
        if (layersNode is not SpecSequence seq)
        {
            Report(layersNode, SpecCodes.WrongType, $"model.layers must be a list of layers, not {layersNode.TypeName}.");
            return new ModelSettings(null, Array.Empty<LayerSpec>(), name);
        }
        var layers = new List<LayerSpec>();
        layerNodes = new List<SpecNode>();
        for (int i = 0; i < seq.Items.Count; i++)
        {
            var layer = BindLayer(seq.Items[i], $"model.layers[{i}]");
            if (layer is not null)
            {
                layers.Add(layer);
                layerNodes.Add(seq.Items[i]);
            }
        }
        // A layer that failed to bind is already reported; shape checks would only add noise.
        if (layers.Count != seq.Items.Count) layerNodes = null;
        return new ModelSettings(null, layers, name);
    }

    private LayerSpec? BindLayer(SpecNode node, string path)
    {
        if (node is not SpecMapping m)
        {
            Report(node, SpecCodes.WrongType, $"{path} must be a mapping such as '{{ type: conv2d, filters: 32 }}', not {node.TypeName}.");
            return null;
        }
        var typeNode = m["type"];
        if (typeNode is null)
        {
            Report(m, SpecCodes.MissingKey, $"{path} has no 'type'; use one of {string.Join(", ", SpecKeys.Layers.Keys)}.");
            return null;
        }
        string? typeName = Str(m, "type", path + ".type");
        if (typeName is null) return null;
        if (LayerFactory.Find(typeName) is not { } kind)
        {
            string? hint = SpecKeys.Suggest(typeName, SpecKeys.LayerAliases.Keys);
            Report(typeNode, SpecCodes.UnknownValue, $"{path}.type '{typeName}' is not a layer type{(hint is null ? "" : $"; did you mean '{hint}'?")} Use one of {string.Join(", ", SpecKeys.LayerAliases.Keys)}.");
            return null;
        }
        string type = kind.Name;
        int before = this.diagnostics.Count;
        CheckKeys(m, kind.SpecKeys, $"{path} ({type})");
        foreach (var key in kind.Required)
        {
            if (m[key] is null or SpecScalar { IsNull: true }) Report(m, SpecCodes.MissingKey, $"{path} ({type}) needs '{key}'.");
        }
        var arguments = new LayerArguments
        {
            Filters = kind.SpecKeys.Contains("filters") ? Int(m, "filters", path + ".filters") : null,
            Units = kind.SpecKeys.Contains("units") ? Int(m, "units", path + ".units") : null,
            Window = kind.SpecKeys.Contains("kernelSize") ? Pair(m, "kernelSize", path + ".kernelSize") : kind.SpecKeys.Contains("poolSize") ? Pair(m, "poolSize", path + ".poolSize") : null,
            Strides = kind.SpecKeys.Contains("strides") ? Pair(m, "strides", path + ".strides") : null,
            Padding = kind.SpecKeys.Contains("padding") ? Choice(m, "padding", path + ".padding", PaddingNames) : null,
            Activation = kind.SpecKeys.Contains("activation") ? ActivationOf(m, path) : null,
            Rate = kind.SpecKeys.Contains("rate") ? Number(m, "rate", path + ".rate") : null,
            Momentum = kind.SpecKeys.Contains("momentum") ? Number(m, "momentum", path + ".momentum") : null,
            Epsilon = kind.SpecKeys.Contains("epsilon") ? Number(m, "epsilon", path + ".epsilon") : null,
        };
        return this.diagnostics.Count > before ? null : LayerFactory.Create(kind, arguments);
    }

    private Activation? ActivationOf(SpecMapping m, string path)
    {
        string? name = Str(m, "activation", path + ".activation");
        if (name is null) return null;
        if (ActivationNames.TryParse(name, out var a)) return a;
        string? hint = SpecKeys.Suggest(name, ActivationNames.Names);
        Report(m["activation"]!, SpecCodes.UnknownValue, $"{path}.activation '{name}' is not an activation{(hint is null ? "" : $"; did you mean '{hint}'?")} Use one of {string.Join(", ", ActivationNames.Names)}.");
        return null;
    }

    private TrainingOptions BindTraining(SpecMapping? m)
    {
        var o = new TrainingOptions();
        if (m is null) return o;
        CheckKeys(m, SpecKeys.Training, "training");
        o = BindSettings(m, "training", o);
        if (Section(m, "schedule", "training.schedule") is { } s)
        {
            CheckKeys(s, SpecKeys.Schedule, "training.schedule");
            o = BindSettings(s, "training.schedule", o);
        }
        if (Section(m, "earlyStopping", "training.earlyStopping") is { } e)
        {
            CheckKeys(e, SpecKeys.EarlyStopping, "training.earlyStopping");
            o = BindSettings(e, "training.earlyStopping", o);
        }
        return o;
    }

    /// <summary>Reads every catalog setting whose key sits in <paramref name="section"/> from <paramref name="m"/>; keys not there (or null) keep the value in <paramref name="o"/>.</summary>
    private TrainingOptions BindSettings(SpecMapping m, string section, TrainingOptions o)
    {
        foreach (var setting in TrainingSettingsCatalog.InSection(section))
        {
            string key = setting.YamlKey!, path = setting.YamlPath!;
            object? value = setting.Type switch
            {
                SettingType.Integer => Int(m, key, path),
                SettingType.Number => Number(m, key, path),
                SettingType.Boolean => Bool(m, key, path),
                SettingType.Choice => ChoiceOf(m, key, path, setting),
                SettingType.Text => Str(m, key, path),
                _ => null, // composites (data.augmentation) have their own reader
            };
            if (value is not null) o = setting.With(o, value);
        }
        return o;
    }

    private object? ChoiceOf(SpecMapping m, string key, string path, TrainingSetting setting)
    {
        string? text = Str(m, key, path);
        if (text is null) return null;
        if (setting.ChoiceOf(text) is { } value) return value;
        string? hint = SpecKeys.Suggest(text, setting.ChoiceNames);
        Report(m[key]!, SpecCodes.UnknownValue, $"{path} '{text}' is not allowed{(hint is null ? "" : $"; did you mean '{hint}'?")} Use one of {string.Join(", ", setting.ChoiceNames)}.");
        return null;
    }

    private TrackingSpec BindTracking(SpecMapping? m)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (m is null) return new TrackingSpec(null, tags, null);
        CheckKeys(m, SpecKeys.Tracking, "tracking");
        if (Section(m, "tags", "tracking.tags") is { } t)
        {
            foreach (var (key, value) in t.Entries)
            {
                if (TrackingSettings.TagKeyProblem(key.Value) is { } problem) Report(key, SpecCodes.WrongType, $"tracking.tags: {problem}.");
                else if (value is SpecScalar s) tags[key.Value] = s.Value;
                else Report(value, SpecCodes.WrongType, $"tracking.tags.{key.Value} must be a single value (text or number), not {value.TypeName}.");
            }
        }
        return new TrackingSpec(Str(m, "experiment", "tracking.experiment"), tags, Str(m, "trackingUri", "tracking.trackingUri"));
    }

    private OutputSettings BindOutputs(SpecMapping? m)
    {
        string defaultRoot = Path.Combine(Path.GetDirectoryName(this.topFile)!, "runs");
        if (m is null) return new OutputSettings(defaultRoot, true);
        CheckKeys(m, SpecKeys.Outputs, "outputs");
        string root = Str(m, "root", "outputs.root") is { } r ? Resolve(m["root"]!, r) : defaultRoot;
        return new OutputSettings(root, Bool(m, "pictures", "outputs.pictures") ?? true);
    }

    private ModelSpec? BuildModel(ModelSettings settings, List<SpecNode>? layerNodes)
    {
        ModelSpec model;
        if (settings.Layers is { } layers)
        {
            if (layerNodes is null) return null;
            model = new ModelSpec(InputShape.Mnist, 10, layers, settings.Name ?? "custom");
        }
        else
        {
            if (settings.Preset is null || !ModelPresets.Exists(settings.Preset)) return null;
            model = ModelPresets.Create(settings.Preset, InputShape.Mnist, 10);
            if (settings.Name is not null) model = model with { Name = settings.Name };
        }
        foreach (var problem in model.Validate())
        {
            SpecNode at = problem.LayerIndex >= 0 && layerNodes is not null && problem.LayerIndex < layerNodes.Count
                ? layerNodes[problem.LayerIndex]
                : Find("model.preset") ?? Find("model.layers") ?? Find("model") ?? this.root;
            string where = problem.LayerIndex >= 0 ? $"model.layers[{problem.LayerIndex}]: " : "model: ";
            Report(at, SpecCodes.ModelInvalid, where + problem.Message + ".");
        }
        return model;
    }

    // ---- TrainingOptions.Validate() problems, said with spec keys at the key they are about ----

    private void ReportTrainingProblem(SettingProblem problem)
    {
        string message = problem.Describe(s => s.YamlPath ?? s.Name);
        var at = problem.Setting.YamlPath is { } path ? FindNearest(path) : this.root;
        Report(at, SpecCodes.TrainingInvalid, message);
    }

    private SpecNode? Find(string path)
    {
        SpecNode? node = this.root;
        foreach (var part in path.Split('.'))
        {
            if (node is not SpecMapping m) return null;
            node = m[part];
            if (node is null) return null;
        }
        return node;
    }

    private SpecNode FindNearest(string path)
    {
        var parts = path.Split('.');
        for (int n = parts.Length; n > 0; n--)
        {
            if (Find(string.Join('.', parts.Take(n))) is { } found) return found;
        }
        return this.root;
    }

    // ---- typed readers ----

    private void CheckKeys(SpecMapping m, IReadOnlyList<string> allowed, string path)
    {
        foreach (var (key, _) in m.Entries)
        {
            if (allowed.Contains(key.Value)) continue;
            string? hint = SpecKeys.Suggest(key.Value, allowed);
            string where = path.Length == 0 ? "at the top level" : $"in {path}";
            Report(key, SpecCodes.UnknownKey, $"unknown key '{key.Value}' {where}" +
                (hint is null ? $"; known keys are {string.Join(", ", allowed)}." : $"; did you mean '{hint}'?"));
        }
    }

    private SpecMapping? Section(SpecMapping parent, string key, string path)
    {
        var node = parent[key];
        switch (node)
        {
            case null:
            case SpecScalar { IsNull: true }:
                return null;
            case SpecMapping m:
                return m;
            default:
                Report(node, SpecCodes.WrongType, $"{path} must be a mapping of keys, not {Describe(node)}.");
                return null;
        }
    }

    private SpecScalar? ScalarOf(SpecMapping m, string key, string path, string expected)
    {
        var node = m[key];
        if (node is null || node is SpecScalar { IsNull: true }) return null;
        if (node is SpecScalar s) return s;
        Report(node, SpecCodes.WrongType, $"{path} must be {expected}, not {node.TypeName}.");
        return null;
    }

    private string? Str(SpecMapping m, string key, string path) => ScalarOf(m, key, path, "text")?.Value;

    private int? Int(SpecMapping m, string key, string path, int? min = null)
    {
        var s = ScalarOf(m, key, path, "a whole number");
        if (s is null) return null;
        if (s.Quoted || !long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            Report(s, SpecCodes.WrongType, $"{path} must be a whole number, not {Describe(s)}.");
            return null;
        }
        if (l is < int.MinValue or > int.MaxValue)
        {
            Report(s, SpecCodes.OutOfRange, $"{path} {l} is too large.");
            return null;
        }
        if (min is { } lo && l < lo)
        {
            Report(s, SpecCodes.OutOfRange, string.Create(CultureInfo.InvariantCulture, $"{path} must be at least {lo} (got {l})."));
            return null;
        }
        return (int)l;
    }

    private double? Number(SpecMapping m, string key, string path)
    {
        var s = ScalarOf(m, key, path, "a number");
        if (s is null) return null;
        if (s.Quoted || !SpecScalar.TryParseDouble(s.Value, out double d))
        {
            Report(s, SpecCodes.WrongType, $"{path} must be a number, not {Describe(s)}.");
            return null;
        }
        if (!double.IsFinite(d))
        {
            Report(s, SpecCodes.OutOfRange, $"{path} must be a finite number (got {s.Value}).");
            return null;
        }
        return d;
    }

    private bool? Bool(SpecMapping m, string key, string path)
    {
        var s = ScalarOf(m, key, path, "true or false");
        if (s is null) return null;
        if (!s.Quoted && s.Typed() is bool b) return b;
        Report(s, SpecCodes.WrongType, $"{path} must be true or false, not {Describe(s)}.");
        return null;
    }

    private (int, int)? Pair(SpecMapping m, string key, string path)
    {
        var node = m[key];
        if (node is null || node is SpecScalar { IsNull: true }) return null;
        if (node is SpecScalar)
        {
            int? v = Int(m, key, path);
            return v is { } x ? (x, x) : null;
        }
        if (node is SpecSequence { Items.Count: 2 } seq && seq.Items.All(i => i is SpecScalar))
        {
            var pair = new SpecMapping(node.Location);
            pair.Entries.Add(new(new SpecScalar("0", false, node.Location), seq.Items[0]));
            pair.Entries.Add(new(new SpecScalar("1", false, node.Location), seq.Items[1]));
            int? a = Int(pair, "0", path + "[0]"), b = Int(pair, "1", path + "[1]");
            return a is { } h && b is { } w ? (h, w) : null;
        }
        Report(node, SpecCodes.WrongType, $"{path} must be a whole number or a [height, width] pair, not {Describe(node)}.");
        return null;
    }

    private T? Choice<T>(SpecMapping m, string key, string path, IReadOnlyDictionary<string, T> names) where T : struct
    {
        string? text = Str(m, key, path);
        if (text is null) return null;
        if (names.TryGetValue(Normalize(text), out var value)) return value;
        string? hint = SpecKeys.Suggest(text, names.Keys.Select(k => DisplayNames(names).GetValueOrDefault(k, k)));
        Report(m[key]!, SpecCodes.UnknownValue, $"{path} '{text}' is not allowed{(hint is null ? "" : $"; did you mean '{hint}'?")} Use one of {string.Join(", ", names.Keys.Select(k => DisplayNames(names).GetValueOrDefault(k, k)).Distinct())}.");
        return null;
    }

    private static string Normalize(string text) => text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Trim().ToLowerInvariant();

    private static IReadOnlyDictionary<string, string> DisplayNames<T>(IReadOnlyDictionary<string, T> names) =>
        ReferenceEquals(names, DatasetNames) ? new Dictionary<string, string> { ["fashionmnist"] = "fashion-mnist" }
        : new Dictionary<string, string>();

    internal static readonly IReadOnlyDictionary<string, DatasetKind> DatasetNames = new Dictionary<string, DatasetKind>
    {
        ["mnist"] = DatasetKind.Mnist,
        ["fashionmnist"] = DatasetKind.FashionMnist,
    };

    /// <summary>Normalized spellings of a catalog choice (lower case, no '-' or '_').</summary>
    internal static IReadOnlyDictionary<string, T> ChoiceNames<T>(string setting) where T : struct =>
        TrainingSettingsCatalog.Get(setting).Choices.GroupBy(c => TrainingSetting.NormalizeChoice(c.Name)).ToDictionary(g => g.Key, g => (T)g.First().Value);

    internal static readonly IReadOnlyDictionary<string, OptimizerKind> OptimizerNames = ChoiceNames<OptimizerKind>(nameof(TrainingOptions.Optimizer));
    internal static readonly IReadOnlyDictionary<string, LearningRateScheduleKind> ScheduleNames = ChoiceNames<LearningRateScheduleKind>(nameof(TrainingOptions.Schedule));
    internal static readonly IReadOnlyDictionary<string, DeviceKind> DeviceNames = ChoiceNames<DeviceKind>(nameof(TrainingOptions.Device));

    internal static readonly IReadOnlyDictionary<string, Padding> PaddingNames = new Dictionary<string, Padding>
    {
        ["valid"] = Padding.Valid,
        ["same"] = Padding.Same,
    };

    private static string Describe(SpecNode node) => node is SpecScalar s ? $"'{s.Value}'" : node.TypeName;

    private static string Resolve(SpecNode at, string path) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(at.Location.File) ?? ".", path));

    private void Report(SpecNode at, string code, string message) =>
        this.diagnostics.Add(new SpecDiagnostic(at.Location.File, at.Location.Line, at.Location.Column, code, message));
}
