using System.Collections.ObjectModel;
using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Predicts digits (or clothes) with a trained model: from image files, IDX files, or a dataset split.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CnnPredict", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Prediction))]
public sealed class InvokeCnnPredictCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string DatasetSet = "Dataset";

    private readonly List<(string Source, byte[] Pixels)> pending = new();
    private readonly List<string> idxFiles = new();
    private readonly List<string> labelFiles = new();
    private TrainedModel? model;

    /// <summary>A trained model (from Start-CnnTraining or Import-CnnModel), or the path of a saved model folder.</summary>
    [Parameter(ValueFromPipeline = true)]
    public TrainedModel? Model { get; set; }

    /// <summary>Bound from Start-CnnTraining's output object.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public TrainedModel? TrainedModel { get; set; }

    /// <summary>A saved model folder (Save-CnnModel, or a run's OutputPath).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ModelFolderCompleter))]
    public string? ModelPath { get; set; }

    /// <summary>Image files (PNG, JPEG, ...) or IDX image files; wildcards allowed.</summary>
    [Parameter(ParameterSetName = PathSet, Position = 0)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <summary>Files taken literally; Get-ChildItem output binds here.</summary>
    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = DatasetSet, Mandatory = true)]
    public MnistDataset? Dataset { get; set; }

    [Parameter(ParameterSetName = DatasetSet)]
    [ValidateSet("Test", "Train")]
    public string Split { get; set; } = "Test";

    /// <summary>Which examples of the split (default: all).</summary>
    [Parameter(ParameterSetName = DatasetSet)]
    public int[]? Index { get; set; }

    /// <summary>How many of the most likely classes each result lists.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Top { get; set; } = 3;

    /// <summary>The most pixels an image file may declare; larger files are refused from their header, before decoding.</summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long MaxPixelCount { get; set; } = ImagePreprocessor.DefaultMaxPixelCount;

    protected override void BeginProcessing() => BackendGate.Require(this);

    protected override void ProcessRecord()
    {
        try
        {
            model ??= ResolveModel();
            if (model is null) return;
            switch (ParameterSetName)
            {
                case DatasetSet:
                    var split = Split == "Train" ? Dataset!.Train : Dataset!.Test;
                    if (Index is { } idx && idx.Any(i => i < 0 || i >= split.Count))
                    {
                        throw new MnistCnnException("IndexOutOfRange", ErrorKind.InvalidArgument,
                            $"-Index must be between 0 and {split.Count - 1} for the {Split} split.", Split);
                    }
                    Write(Predictor.PredictSplit(model, split, Index, Top));
                    break;
                case LiteralPathSet:
                    foreach (var p in LiteralPath) Collect(SessionState.Path.GetUnresolvedProviderPathFromPSPath(p));
                    break;
                default:
                    foreach (var p in Path ?? Array.Empty<string>()) CollectPattern(p);
                    break;
            }
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    protected override void EndProcessing()
    {
        if (model is null)
        {
            ThrowTerminatingError(ErrorRecords.Create("ModelRequired", ErrorCategory.InvalidArgument,
                "No model to predict with. Pipe one in (Start-CnnTraining ... | Invoke-CnnPredict) or pass -Model or -ModelPath.", null));
            return;
        }
        try
        {
            if (pending.Count > 0) Write(Predictor.PredictPixels(model, pending, Top));
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
        foreach (var file in idxFiles)
        {
            try
            {
                Write(PredictIdx(file));
            }
            catch (MnistCnnException ex)
            {
                // A broken IDX file should not stop the other inputs, just as a broken picture does not.
                WriteError(ErrorRecords.From(ex));
            }
        }
        foreach (var file in labelFiles)
        {
            if (idxFiles.Contains(ImagesFileOf(file), StringComparer.Ordinal))
            {
                WriteVerbose($"'{file}' holds the labels of '{ImagesFileOf(file)}'; they are used as its Actual values.");
                continue;
            }
            WriteError(ErrorRecords.Create("IdxLabelsFileAlone", ErrorCategory.InvalidArgument,
                $"'{file}' is an IDX labels file and holds no images. Pass its images file ('{System.IO.Path.GetFileName(ImagesFileOf(file))}'); the labels file beside it is read automatically.", file));
        }
    }

    /// <summary>Resolves one -Path pattern; a pattern that matches nothing is a non-terminating ImageFileMissing.</summary>
    private void CollectPattern(string pattern)
    {
        Collection<string> resolved;
        try
        {
            resolved = GetResolvedProviderPathFromPSPath(pattern, out _);
        }
        catch (ItemNotFoundException ex)
        {
            WriteError(ErrorRecords.Create("ImageFileMissing", ErrorCategory.ObjectNotFound, $"'{pattern}' does not exist.", pattern, ex));
            return;
        }
        if (resolved.Count == 0)
        {
            WriteError(ErrorRecords.Create("ImageFileMissing", ErrorCategory.ObjectNotFound, $"No file matches '{pattern}'.", pattern));
        }
        foreach (var file in resolved) Collect(file);
    }

    private static bool IsIdx(string name, string kind) =>
        name.Contains(kind, StringComparison.OrdinalIgnoreCase) && name.Contains("ubyte", StringComparison.OrdinalIgnoreCase);

    /// <summary>t10k-labels-idx1-ubyte -> t10k-images-idx3-ubyte in the same folder.</summary>
    private static string ImagesFileOf(string labelsFile) => System.IO.Path.Combine(
        System.IO.Path.GetDirectoryName(labelsFile)!,
        System.IO.Path.GetFileName(labelsFile).Replace("labels-idx1", "images-idx3", StringComparison.OrdinalIgnoreCase));

    private TrainedModel? ResolveModel()
    {
        if (Model is not null) return Model;
        if (TrainedModel is not null) return TrainedModel;
        if (ModelPath is not null) return ModelStore.Load(SessionState.Path.GetUnresolvedProviderPathFromPSPath(ModelPath));
        return null;
    }

    private void Collect(string file)
    {
        if (Directory.Exists(file))
        {
            WriteError(ErrorRecords.Create("PathIsFolder", ErrorCategory.InvalidArgument,
                $"'{file}' is a folder. Pass image files, e.g. -Path '{System.IO.Path.Combine(file, "*.png")}'.", file));
            return;
        }
        var name = System.IO.Path.GetFileName(file);
        if (IsIdx(name, "idx1"))
        {
            labelFiles.Add(file);
            return;
        }
        if (IsIdx(name, "idx"))
        {
            idxFiles.Add(file);
            return;
        }
        try
        {
            pending.Add((file, ImagePreprocessor.Load(file, model!.Preprocessing, MaxPixelCount)));
        }
        catch (MnistCnnException ex)
        {
            // One unreadable image should not stop the others.
            WriteError(ErrorRecords.From(ex));
        }
    }

    /// <summary>Writes the predictions, with a warning for each blank image (its label is only a guess).</summary>
    private void Write(IReadOnlyList<Prediction> predictions)
    {
        foreach (var prediction in predictions)
        {
            if (prediction.Blank)
            {
                WriteWarning($"'{prediction.Source}' is blank: no ink stands out from its background, so its label {prediction.ClassName} is a guess (the result's Blank property is True).");
            }
            WriteObject(prediction);
        }
    }

    private IReadOnlyList<Prediction> PredictIdx(string imagesFile)
    {
        // The matching labels file beside it (t10k-images-idx3-ubyte -> t10k-labels-idx1-ubyte) adds the true labels.
        var folder = System.IO.Path.GetDirectoryName(imagesFile)!;
        var labelsName = System.IO.Path.GetFileName(imagesFile).Replace("images-idx3", "labels-idx1", StringComparison.OrdinalIgnoreCase);
        var labelsFile = System.IO.Path.Combine(folder, labelsName);
        bool withLabels = !string.Equals(labelsFile, imagesFile, StringComparison.Ordinal) && File.Exists(labelsFile);
        // Headers first: a count mismatch is found before a large images file is inflated.
        if (withLabels) IdxReader.CheckPair(IdxReader.ReadHeader(imagesFile, IdxReader.ImagesMagic), IdxReader.ReadHeader(labelsFile, IdxReader.LabelsMagic));
        var images = IdxReader.ReadImages(imagesFile);
        if (withLabels)
        {
            return Predictor.PredictSplit(model!, IdxReader.ToSplit(System.IO.Path.GetFileName(imagesFile), images, IdxReader.ReadLabels(labelsFile)), null, Top);
        }
        int h = images.Dimensions[1], w = images.Dimensions[2], size = h * w;
        var items = Enumerable.Range(0, images.Count)
            .Select(i => ($"{imagesFile}[{i}]", images.Data.AsSpan(i * size, size).ToArray()))
            .ToList();
        return Predictor.PredictPixels(model!, items, Top);
    }
}
