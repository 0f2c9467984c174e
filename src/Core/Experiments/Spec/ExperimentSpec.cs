using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Experiments.Spec;

/// <summary>The <c>data:</c> section: which dataset, where its files are, and how much of it to use.</summary>
/// <param name="Dataset">Mnist or FashionMnist.</param>
/// <param name="Path">Folder with the IDX .gz files (absolute, resolved against the spec file that set it); null: the default location.</param>
/// <param name="TrainSubset">Use only the first N training images (null: all).</param>
/// <param name="TestSubset">Use only the first N test images (null: all).</param>
public sealed record DataSettings(DatasetKind Dataset, string? Path, int? TrainSubset, int? TestSubset);

/// <summary>The <c>model:</c> section as written: a preset name or a layer list.</summary>
public sealed record ModelSettings(string? Preset, IReadOnlyList<LayerSpec>? Layers, string? Name);

/// <summary>The <c>tracking:</c> section, handed to the tracking integration.</summary>
public sealed record TrackingSpec(string? Experiment, IReadOnlyDictionary<string, string> Tags, string? TrackingUri);

/// <summary>The <c>outputs:</c> section: where run folders go (absolute) and whether pictures are written.</summary>
public sealed record OutputSettings(string Root, bool Pictures);

/// <summary>
/// One runnable experiment, typed: everything a trial needs. <see cref="Model"/> and <see cref="Training"/> are the
/// Core objects the trainer takes (validation split lives in <see cref="TrainingOptions.ValidationSplit"/>).
/// </summary>
public sealed record ExperimentSpec(
    string Name,
    string? Description,
    string SourcePath,
    DataSettings Data,
    ModelSettings ModelSettings,
    ModelSpec Model,
    TrainingOptions Training,
    TrackingSpec Tracking,
    OutputSettings Outputs);
