using MnistCnn.Core.Training.Settings;

namespace MnistCnn.Core.Training;

/// <summary>Optimizers the trainer supports.</summary>
public enum OptimizerKind
{
    RmsProp,
    Adam,
    Sgd,
    AdamW,
}

/// <summary>Where tensors live. <c>Auto</c> picks CUDA when a CUDA build and a GPU are present.</summary>
public enum DeviceKind
{
    Auto,
    Cpu,
    Cuda,
}

/// <summary>Learning-rate schedules, applied per batch.</summary>
public enum LearningRateScheduleKind
{
    Constant,
    /// <summary>Step decay: multiply by <see cref="TrainingOptions.ScheduleGamma"/> every <see cref="TrainingOptions.ScheduleStepEpochs"/> epochs.</summary>
    Step,
    /// <summary>Cosine annealing from the learning rate to <see cref="TrainingOptions.MinLearningRate"/> over all batches.</summary>
    Cosine,
    /// <summary>One-cycle: linear warm-up to <see cref="TrainingOptions.LearningRate"/> x <see cref="TrainingOptions.MaxLearningRateFactor"/>, then cosine down.</summary>
    OneCycle,
    /// <summary>Multiply by <see cref="TrainingOptions.ScheduleGamma"/> every epoch.</summary>
    Exponential,
}

/// <summary>
/// Everything that decides a training run. Defaults are the tutorial's Keras recipe: RMSprop (lr 0.001, rho 0.9,
/// epsilon 1e-7), batch 64, 5 epochs, categorical cross-entropy.
/// </summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 64;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.RmsProp;
    /// <summary>Null means the optimizer's Keras default (0.001 for RMSprop/Adam/AdamW, 0.01 for SGD).</summary>
    public double? LearningRate { get; init; }
    /// <summary>RMSprop's rho (decay of the squared-gradient average).</summary>
    public double Rho { get; init; } = 0.9;
    /// <summary>Adam/AdamW beta1.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam/AdamW beta2.</summary>
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-7;
    /// <summary>SGD and RMSprop momentum.</summary>
    public double Momentum { get; init; }
    public bool Nesterov { get; init; }
    /// <summary>L2 penalty (decoupled for AdamW; Keras' AdamW default is 0.004).</summary>
    public double WeightDecay { get; init; }
    public double LabelSmoothing { get; init; }
    /// <summary>Scale the gradients down so their global L2 norm is at most this before each step (null: no clipping).</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>Clamp every gradient element to [-this, this] before each step (null: no clipping; Keras' clipvalue).</summary>
    public double? ClipGradValue { get; init; }

    public LearningRateScheduleKind Schedule { get; init; } = LearningRateScheduleKind.Constant;
    public double ScheduleGamma { get; init; } = 0.1;
    public int ScheduleStepEpochs { get; init; } = 1;
    public double MinLearningRate { get; init; }
    public double MaxLearningRateFactor { get; init; } = 1.0;
    /// <summary>One-cycle warm-up as a fraction of all batches.</summary>
    public double WarmupFraction { get; init; } = 0.25;

    /// <summary>Fraction of the training split held out for validation (taken from its end, as Keras does).</summary>
    public double ValidationSplit { get; init; }
    /// <summary>Stop when validation loss has not improved for this many epochs (null: never).</summary>
    public int? EarlyStoppingPatience { get; init; }
    public bool RestoreBestWeights { get; init; } = true;
    /// <summary>Seed for initialisation, shuffling and dropout; same seed, same data, CPU: same metrics.</summary>
    public int? Seed { get; init; }
    public bool Shuffle { get; init; } = true;
    public DeviceKind Device { get; init; } = DeviceKind.Auto;
    /// <summary>Intra-op CPU threads (null: libtorch's default, one per core).</summary>
    public int? Threads { get; init; }
    /// <summary>Run folder for checkpoints, the saved model and results (null: no files written).</summary>
    public string? OutputPath { get; init; }
    /// <summary>Write a checkpoint after every epoch (when <see cref="OutputPath"/> is set).</summary>
    public bool Checkpoint { get; init; } = true;
    /// <summary>Write curves.png, confusion.png, misclassified.png and report.html into <see cref="OutputPath"/> at the end.</summary>
    public bool Report { get; init; } = true;
    /// <summary>Random shifts, rotations, scaling and elastic distortion of every training batch; null for none.</summary>
    public AugmentationOptions? Augmentation { get; init; }

    public double EffectiveLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Sgd ? 0.01 : 0.001);

    /// <summary>
    /// Every problem with these options, as data (setting, value, rule), checked against the ranges the
    /// <see cref="TrainingSettingsCatalog"/> declares; empty when valid. Readers word them for their users.
    /// </summary>
    public IReadOnlyList<SettingProblem> Validate()
    {
        var problems = new List<SettingProblem>();
        foreach (var setting in TrainingSettingsCatalog.All)
        {
            if (setting.Check(this) is { } problem) problems.Add(problem);
        }
        if (EarlyStoppingPatience is not null && ValidationSplit <= 0)
        {
            problems.Add(new SettingProblem(TrainingSettingsCatalog.Get(nameof(EarlyStoppingPatience)), EarlyStoppingPatience,
                "needs a {related} above 0 to watch validation loss", TrainingSettingsCatalog.Get(nameof(ValidationSplit)), ShowValue: false));
        }
        return problems;
    }
}
