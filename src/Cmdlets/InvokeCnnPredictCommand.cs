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

    private TrainedModel? model;
    private PredictionInputs? inputs;

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
            inputs ??= new PredictionInputs(model, MaxPixelCount);
            switch (ParameterSetName)
            {
                case DatasetSet:
                    var split = Split == "Train" ? Dataset!.Train : Dataset!.Test;
                    PredictionInputs.CheckIndexes(split, Index, Split);
                    Write(Predictor.PredictSplit(model, split, Index, Top));
                    break;
                case LiteralPathSet:
                    foreach (var p in LiteralPath) Collect(SessionState.Path.GetUnresolvedProviderPathFromPSPath(p));
                    break;
                default:
                    foreach (var p in Path ?? Array.Empty<string>()) foreach (var file in this.ResolveImagePattern(p)) Collect(file);
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
            ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ModelRequired, ErrorCategory.InvalidArgument,
                "No model to predict with. Pipe one in (Start-CnnTraining ... | Invoke-CnnPredict) or pass -Model or -ModelPath.", null));
            return;
        }
        var sorted = inputs ??= new PredictionInputs(model, MaxPixelCount);
        try
        {
            if (sorted.Images.Count > 0) Write(Predictor.PredictPixels(model, sorted.Images, Top));
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
        foreach (var outcome in sorted.PredictFiles(Top))
        {
            if (outcome.Problem is not null) WriteError(ErrorRecords.From(outcome.Problem));
            if (outcome.Note is not null) WriteVerbose(outcome.Note);
            Write(outcome.Predictions);
        }
    }

    private TrainedModel? ResolveModel()
    {
        if (Model is not null) return Model;
        if (TrainedModel is not null) return TrainedModel;
        if (ModelPath is not null) return ModelStore.Load(SessionState.Path.GetUnresolvedProviderPathFromPSPath(ModelPath));
        return null;
    }

    private void Collect(string file)
    {
        if (inputs!.Add(file) is { } problem) WriteError(ErrorRecords.From(problem));
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
}
