namespace MnistCnn.Core.Training.Settings;

/// <summary>
/// Every training setting, each declared once: the single place to add one. An entry names the
/// <see cref="TrainingOptions"/> property, its spec key, its Start-CnnTraining parameter (if any), type, default,
/// range and help; the spec binder, the <c>-Options</c> binder, <see cref="TrainingOptions.Validate"/>, the JSON schema
/// (<c>SpecSchema</c> in Experiments) and the docs table (<see cref="SettingsTable"/>) follow from it.
/// </summary>
public static class TrainingSettingsCatalog
{
    private static readonly TrainingOptions Defaults = new();
    private static readonly AugmentationOptions AugmentDefaults = AugmentationOptions.Default;

    /// <summary>All settings, in spec order (the order keys are listed and the schema shows them).</summary>
    public static readonly IReadOnlyList<TrainingSetting> All = new TrainingSetting[]
    {
        Int("Epochs", "training.epochs", "Epochs", o => o.Epochs, (o, v) => o with { Epochs = (int)v! }, min: 1,
            help: "Passes over the training data."),
        Int("BatchSize", "training.batchSize", "BatchSize", o => o.BatchSize, (o, v) => o with { BatchSize = (int)v! }, min: 1,
            help: "Examples per optimizer step."),
        Choice("Optimizer", "training.optimizer", "Optimizer", o => o.Optimizer, (o, v) => o with { Optimizer = (OptimizerKind)v! },
            new SettingChoice[] { new("rmsprop", OptimizerKind.RmsProp), new("adam", OptimizerKind.Adam), new("adamw", OptimizerKind.AdamW), new("sgd", OptimizerKind.Sgd) },
            help: "rmsprop (default), adam, adamw or sgd."),
        new()
        {
            Name = "LearningRate", YamlPath = "training.learningRate", Parameter = "LearningRate", Type = SettingType.Number, ValueType = typeof(double), Nullable = true,
            Minimum = 0, MinimumExclusive = true, RangeRule = "must be a positive number",
            Help = "Step size. Default: 0.001 (0.01 for sgd).",
            Get = o => o.LearningRate, Set = (o, v) => o with { LearningRate = (double?)v },
        },
        Num("Rho", "training.rho", o => o.Rho, (o, v) => o with { Rho = (double)v! }, 0, true, 1, true, "RMSprop decay of the squared-gradient average."),
        Num("Beta1", "training.beta1", o => o.Beta1, (o, v) => o with { Beta1 = (double)v! }, 0, false, 1, true, "Adam/AdamW decay of the gradient average."),
        Num("Beta2", "training.beta2", o => o.Beta2, (o, v) => o with { Beta2 = (double)v! }, 0, false, 1, true, "Adam/AdamW decay of the squared-gradient average."),
        Num("Epsilon", "training.epsilon", o => o.Epsilon, (o, v) => o with { Epsilon = (double)v! }, 0, true, null, false, "Added to the denominator for numerical stability (Keras' 1e-7)."),
        Num("Momentum", "training.momentum", o => o.Momentum, (o, v) => o with { Momentum = (double)v! }, 0, false, 1, true, "SGD and RMSprop momentum."),
        Bool("Nesterov", "training.nesterov", o => o.Nesterov, (o, v) => o with { Nesterov = (bool)v! }, "SGD: Nesterov momentum."),
        Num("WeightDecay", "training.weightDecay", o => o.WeightDecay, (o, v) => o with { WeightDecay = (double)v! }, 0, false, null, false, "L2 penalty (decoupled for adamw)."),
        new()
        {
            Name = "ClipGradNorm", YamlPath = "training.clipGradNorm", Type = SettingType.Number, ValueType = typeof(double), Nullable = true, Minimum = 0, MinimumExclusive = true,
            Help = "Scale the gradients down so their global L2 norm is at most this before each step (null: no clipping).",
            Get = o => o.ClipGradNorm, Set = (o, v) => o with { ClipGradNorm = (double?)v },
        },
        new()
        {
            Name = "ClipGradValue", YamlPath = "training.clipGradValue", Type = SettingType.Number, ValueType = typeof(double), Nullable = true, Minimum = 0, MinimumExclusive = true,
            Help = "Clamp every gradient element to [-value, value] before each step, before any clipGradNorm (null: no clipping; Keras' clipvalue).",
            Get = o => o.ClipGradValue, Set = (o, v) => o with { ClipGradValue = (double?)v },
        },
        Num("LabelSmoothing", "training.labelSmoothing", o => o.LabelSmoothing, (o, v) => o with { LabelSmoothing = (double)v! }, 0, false, 1, true, "Share of the target spread over all classes."),

        Choice("Schedule", "training.schedule.type", "Schedule", o => o.Schedule, (o, v) => o with { Schedule = (LearningRateScheduleKind)v! },
            new SettingChoice[]
            {
                new("constant", LearningRateScheduleKind.Constant), new("step", LearningRateScheduleKind.Step), new("cosine", LearningRateScheduleKind.Cosine),
                new("one-cycle", LearningRateScheduleKind.OneCycle), new("exponential", LearningRateScheduleKind.Exponential),
            },
            help: "Learning-rate schedule, applied per batch: constant (default), step, cosine, one-cycle or exponential.",
            aliases: new[] { "onecycle", "one_cycle" }),
        Num("ScheduleGamma", "training.schedule.gamma", o => o.ScheduleGamma, (o, v) => o with { ScheduleGamma = (double)v! }, 0, true, 1, false, "step/exponential: multiplier."),
        Int("ScheduleStepEpochs", "training.schedule.stepEpochs", null, o => o.ScheduleStepEpochs, (o, v) => o with { ScheduleStepEpochs = (int)v! }, min: 1,
            help: "step: epochs between decays."),
        Num("MinLearningRate", "training.schedule.minLearningRate", o => o.MinLearningRate, (o, v) => o with { MinLearningRate = (double)v! }, 0, false, null, false, "cosine/one-cycle: the floor."),
        Num("MaxLearningRateFactor", "training.schedule.maxLearningRateFactor", o => o.MaxLearningRateFactor, (o, v) => o with { MaxLearningRateFactor = (double)v! }, 1, false, null, false, "one-cycle: peak = learningRate x factor."),
        Num("WarmupFraction", "training.schedule.warmupFraction", o => o.WarmupFraction, (o, v) => o with { WarmupFraction = (double)v! }, 0, false, 1, true, "one-cycle: warm-up share of all batches."),

        Int("EarlyStoppingPatience", "training.earlyStopping.patience", "EarlyStoppingPatience", o => o.EarlyStoppingPatience, (o, v) => o with { EarlyStoppingPatience = (int?)v }, min: 1, nullable: true,
            help: "Stop when validation loss has not improved for this many epochs (null: never; needs a validation split)."),
        Bool("RestoreBestWeights", "training.earlyStopping.restoreBestWeights", o => o.RestoreBestWeights, (o, v) => o with { RestoreBestWeights = (bool)v! }, "After early stopping, go back to the epoch with the best validation loss."),

        Int("Seed", "training.seed", "Seed", o => o.Seed, (o, v) => o with { Seed = (int?)v }, min: null, nullable: true,
            help: "Seed for initialisation, shuffling and dropout (null: a random one, recorded)."),
        Bool("Shuffle", "training.shuffle", o => o.Shuffle, (o, v) => o with { Shuffle = (bool)v! }, "Shuffle the training data every epoch."),
        Choice("Device", "training.device", "Device", o => o.Device, (o, v) => o with { Device = (DeviceKind)v! },
            new SettingChoice[] { new("auto", DeviceKind.Auto), new("cpu", DeviceKind.Cpu), new("cuda", DeviceKind.Cuda) },
            help: "auto (CUDA when a CUDA build and a GPU are present), cpu or cuda."),
        Int("Threads", "training.threads", "Threads", o => o.Threads, (o, v) => o with { Threads = (int?)v }, min: 1, nullable: true,
            help: "CPU threads (default: one per core)."),
        Bool("Checkpoint", "training.checkpoint", o => o.Checkpoint, (o, v) => o with { Checkpoint = (bool)v! }, "Write a checkpoint after every epoch (default true)."),

        Num("ValidationSplit", "data.validationSplit", o => o.ValidationSplit, (o, v) => o with { ValidationSplit = (double)v! }, 0, false, 1, true,
            "Fraction of the training images held out for validation, taken from the end (Keras' validation_split).", parameter: "ValidationSplit"),
        new()
        {
            Name = "Augmentation", YamlPath = "data.augmentation", Parameter = "Augment", Type = SettingType.Composite, ValueType = typeof(AugmentationOptions), Nullable = true,
            Help = "Random distortions of every training batch, on the training device: true for the defaults, false for none, or the settings to change.",
            Get = o => o.Augmentation, Set = (o, v) => o with { Augmentation = (AugmentationOptions?)v },
        },
        Augment("Shift", "shift", a => a.Shift, (a, x) => a with { Shift = x }, 0, false, 1, true, null, "Largest shift as a fraction of the image size (default 0.1)."),
        Augment("Rotation", "rotation", a => a.Rotation, (a, x) => a with { Rotation = x }, 0, false, 180, false, "degrees", "Largest rotation in degrees, either way (default 10)."),
        Augment("Scale", "scale", a => a.Scale, (a, x) => a with { Scale = x }, 0, false, 1, true, null, "Largest zoom in or out as a fraction (default 0.1)."),
        Augment("ElasticAlpha", "elasticAlpha", a => a.ElasticAlpha, (a, x) => a with { ElasticAlpha = x }, 0, false, null, false, null, "Strength of the elastic distortion in pixels of the smoothed random field; 0 turns it off (default 20)."),
        Augment("ElasticSigma", "elasticSigma", a => a.ElasticSigma, (a, x) => a with { ElasticSigma = x }, 0, true, 64, false, "pixels", "Smoothness of the elastic distortion: the Gaussian's standard deviation in pixels (default 4)."),

        new()
        {
            Name = "OutputPath", Type = SettingType.Text, ValueType = typeof(string), Nullable = true, Parameter = "OutputPath",
            Help = "Run folder for checkpoints, the saved model and results. Start-CnnTraining's default is a new folder named after the run under $env:MNISTCNN_RUNS_DIR or ./runs; specs use outputs.root. (The Core Trainer alone, with none, writes no files.)",
            Get = o => o.OutputPath, Set = (o, v) => o with { OutputPath = (string?)v },
        },
        Bool("Report", null, o => o.Report, (o, v) => o with { Report = (bool)v! }, "Write curves, confusion matrix, misclassified images and report.html at the end (-NoReport, outputs.pictures).", parameter: "NoReport"),
    };

    private static readonly Dictionary<string, TrainingSetting> ByName = All.ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The setting of this name (case-insensitive), or null.</summary>
    public static TrainingSetting? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The setting of this name; throws for a name the catalog does not hold.</summary>
    public static TrainingSetting Get(string name) =>
        Find(name) ?? throw new ArgumentException($"'{name}' is not a training setting.", nameof(name));

    /// <summary>The settings whose spec keys sit directly in <paramref name="section"/> (<c>training</c>, <c>training.schedule</c>), in catalog order.</summary>
    public static IEnumerable<TrainingSetting> InSection(string section) => All.Where(s => s.YamlSection == section);

    /// <summary>The keys of a spec section that the catalog owns, sub-sections (<c>schedule</c>) at the place of their first setting.</summary>
    public static IReadOnlyList<string> KeysOf(string section)
    {
        var keys = new List<string>();
        foreach (var s in All)
        {
            if (s.YamlPath is null) continue;
            if (s.YamlSection == section) keys.Add(s.YamlKey!);
            else if (s.YamlSection!.StartsWith(section + ".", StringComparison.Ordinal))
            {
                string sub = s.YamlSection[(section.Length + 1)..].Split('.')[0];
                if (!keys.Contains(sub)) keys.Add(sub);
            }
        }
        return keys;
    }

    /// <summary>The names <c>-Options</c> takes, in ordinal order.</summary>
    public static IEnumerable<string> OptionsKeys => All.Where(s => s.IsOptionsKey).Select(s => s.Name).Order(StringComparer.Ordinal);

    private static TrainingSetting Int(string name, string? path, string? parameter, Func<TrainingOptions, int?> get, Func<TrainingOptions, object?, TrainingOptions> set, int? min, string help, bool nullable = false) => new()
    {
        Name = name, YamlPath = path, Parameter = parameter, Type = SettingType.Integer, ValueType = typeof(int), Nullable = nullable,
        Default = get(Defaults), Minimum = min, Help = help, Get = o => get(o), Set = set,
    };

    private static TrainingSetting Num(string name, string path, Func<TrainingOptions, double> get, Func<TrainingOptions, object?, TrainingOptions> set,
        double? min, bool minExclusive, double? max, bool maxExclusive, string help, string? parameter = null) => new()
    {
        Name = name, YamlPath = path, Parameter = parameter, Type = SettingType.Number, ValueType = typeof(double), Default = get(Defaults),
        Minimum = min, MinimumExclusive = minExclusive, Maximum = max, MaximumExclusive = maxExclusive, Help = help, Get = o => get(o), Set = set,
    };

    private static TrainingSetting Bool(string name, string? path, Func<TrainingOptions, bool> get, Func<TrainingOptions, object?, TrainingOptions> set, string help, string? parameter = null) => new()
    {
        Name = name, YamlPath = path, Parameter = parameter, Type = SettingType.Boolean, ValueType = typeof(bool), Default = get(Defaults), Help = help,
        Get = o => get(o), Set = set,
    };

    private static TrainingSetting Choice<T>(string name, string path, string? parameter, Func<TrainingOptions, T> get, Func<TrainingOptions, object?, TrainingOptions> set,
        IReadOnlyList<SettingChoice> choices, string help, IReadOnlyList<string>? aliases = null) where T : struct, Enum => new()
    {
        Name = name, YamlPath = path, Parameter = parameter, Type = SettingType.Choice, ValueType = typeof(T), Default = get(Defaults), Choices = choices,
        SchemaAliases = aliases ?? Array.Empty<string>(), Help = help, Get = o => get(o), Set = set,
    };

    /// <summary>A part of <see cref="TrainingOptions.Augmentation"/>: checked only when augmentation is on; setting it turns augmentation on with the defaults for the rest.</summary>
    private static TrainingSetting Augment(string part, string key, Func<AugmentationOptions, double> get, Func<AugmentationOptions, double, AugmentationOptions> set,
        double? min, bool minExclusive, double? max, bool maxExclusive, string? unit, string help) => new()
    {
        Name = "Augmentation." + part, YamlPath = "data.augmentation." + key, Type = SettingType.Number, ValueType = typeof(double), Default = get(AugmentDefaults),
        Minimum = min, MinimumExclusive = minExclusive, Maximum = max, MaximumExclusive = maxExclusive, Unit = unit, Help = help,
        Get = o => o.Augmentation is { } a ? get(a) : null,
        Set = (o, v) => o with { Augmentation = set(o.Augmentation ?? AugmentDefaults, (double)v!) },
    };
}
