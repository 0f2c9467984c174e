using System.Collections;
using System.Management.Automation;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// The hashtable Start-CnnTraining -Options takes. It is an ordinary case-insensitive hashtable (any hashtable or
/// [ordered] dictionary converts to it, and OptionsBinder still checks every key); its properties, one per writable
/// <see cref="TrainingOptions"/> setting, exist so that PowerShell completes the keys of <c>-Options @{</c>, which
/// it does from the parameter type's settable properties. A test keeps them equal to TrainingOptions'.
/// </summary>
public sealed class TrainingOptionsTable : Hashtable
{
    public TrainingOptionsTable()
        : base(StringComparer.OrdinalIgnoreCase)
    {
    }

    public TrainingOptionsTable(IDictionary entries)
        : base(entries, StringComparer.OrdinalIgnoreCase)
    {
    }

    public int? Epochs { get => Get<int?>(nameof(Epochs)); set => this[nameof(Epochs)] = value; }
    public int? BatchSize { get => Get<int?>(nameof(BatchSize)); set => this[nameof(BatchSize)] = value; }
    public OptimizerKind? Optimizer { get => Get<OptimizerKind?>(nameof(Optimizer)); set => this[nameof(Optimizer)] = value; }
    public double? LearningRate { get => Get<double?>(nameof(LearningRate)); set => this[nameof(LearningRate)] = value; }
    public double? Rho { get => Get<double?>(nameof(Rho)); set => this[nameof(Rho)] = value; }
    public double? Beta1 { get => Get<double?>(nameof(Beta1)); set => this[nameof(Beta1)] = value; }
    public double? Beta2 { get => Get<double?>(nameof(Beta2)); set => this[nameof(Beta2)] = value; }
    public double? Epsilon { get => Get<double?>(nameof(Epsilon)); set => this[nameof(Epsilon)] = value; }
    public double? Momentum { get => Get<double?>(nameof(Momentum)); set => this[nameof(Momentum)] = value; }
    public bool? Nesterov { get => Get<bool?>(nameof(Nesterov)); set => this[nameof(Nesterov)] = value; }
    public double? WeightDecay { get => Get<double?>(nameof(WeightDecay)); set => this[nameof(WeightDecay)] = value; }
    public double? LabelSmoothing { get => Get<double?>(nameof(LabelSmoothing)); set => this[nameof(LabelSmoothing)] = value; }
    public LearningRateScheduleKind? Schedule { get => Get<LearningRateScheduleKind?>(nameof(Schedule)); set => this[nameof(Schedule)] = value; }
    public double? ScheduleGamma { get => Get<double?>(nameof(ScheduleGamma)); set => this[nameof(ScheduleGamma)] = value; }
    public int? ScheduleStepEpochs { get => Get<int?>(nameof(ScheduleStepEpochs)); set => this[nameof(ScheduleStepEpochs)] = value; }
    public double? MinLearningRate { get => Get<double?>(nameof(MinLearningRate)); set => this[nameof(MinLearningRate)] = value; }
    public double? MaxLearningRateFactor { get => Get<double?>(nameof(MaxLearningRateFactor)); set => this[nameof(MaxLearningRateFactor)] = value; }
    public double? WarmupFraction { get => Get<double?>(nameof(WarmupFraction)); set => this[nameof(WarmupFraction)] = value; }
    public double? ValidationSplit { get => Get<double?>(nameof(ValidationSplit)); set => this[nameof(ValidationSplit)] = value; }
    public int? EarlyStoppingPatience { get => Get<int?>(nameof(EarlyStoppingPatience)); set => this[nameof(EarlyStoppingPatience)] = value; }
    public bool? RestoreBestWeights { get => Get<bool?>(nameof(RestoreBestWeights)); set => this[nameof(RestoreBestWeights)] = value; }
    public int? Seed { get => Get<int?>(nameof(Seed)); set => this[nameof(Seed)] = value; }
    public bool? Shuffle { get => Get<bool?>(nameof(Shuffle)); set => this[nameof(Shuffle)] = value; }
    public DeviceKind? Device { get => Get<DeviceKind?>(nameof(Device)); set => this[nameof(Device)] = value; }
    public int? Threads { get => Get<int?>(nameof(Threads)); set => this[nameof(Threads)] = value; }
    public string? OutputPath { get => Get<string?>(nameof(OutputPath)); set => this[nameof(OutputPath)] = value; }
    public bool? Checkpoint { get => Get<bool?>(nameof(Checkpoint)); set => this[nameof(Checkpoint)] = value; }
    public bool? Report { get => Get<bool?>(nameof(Report)); set => this[nameof(Report)] = value; }
    public double? ClipGradNorm { get => Get<double?>(nameof(ClipGradNorm)); set => this[nameof(ClipGradNorm)] = value; }
    public AugmentationOptions? Augmentation { get => Get<AugmentationOptions?>(nameof(Augmentation)); set => this[nameof(Augmentation)] = value; }

    private T? Get<T>(string key) => this[key] is { } value ? LanguagePrimitives.ConvertTo<T>(value) : default;
}
