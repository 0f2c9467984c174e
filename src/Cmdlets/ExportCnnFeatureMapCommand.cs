using System.Globalization;
using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Reporting;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Writes what a trained model's convolution layers see for one image: a PNG of each convolution layer's activation maps and of the first layer's filters.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "CnnFeatureMap", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(FeatureMapImage))]
public sealed class ExportCnnFeatureMapCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string DatasetSet = "Dataset";

    /// <summary>The trained model (from Import-CnnModel); a piped Start-CnnTraining result binds through its TrainedModel property.</summary>
    [Parameter(ValueFromPipeline = true)]
    public TrainedModel? Model { get; set; }

    /// <summary>Bound from Start-CnnTraining's output object.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public TrainedModel? TrainedModel { get; set; }

    /// <summary>A saved model folder (Save-CnnModel, or a run's folder).</summary>
    [Parameter]
    public string? ModelPath { get; set; }

    /// <summary>The image (PNG, JPEG...), prepared as Invoke-CnnPredict prepares it.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true)]
    public string ImagePath { get; set; } = "";

    [Parameter(ParameterSetName = DatasetSet, Mandatory = true)]
    public MnistDataset? Dataset { get; set; }

    [Parameter(ParameterSetName = DatasetSet)]
    [ValidateSet("Test", "Train")]
    public string Split { get; set; } = "Test";

    /// <summary>Which image of the split (default 0).</summary>
    [Parameter(ParameterSetName = DatasetSet)]
    public int Index { get; set; }

    /// <summary>The folder to write the PNGs into (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string OutputPath { get; set; } = "";

    protected override void BeginProcessing() => BackendGate.Require(this);

    protected override void ProcessRecord()
    {
        TrainedModel? loaded = null;
        try
        {
            var model = Model ?? TrainedModel;
            if (model is null && ModelPath is not null) model = loaded = ModelStore.Load(SessionState.Path.GetUnresolvedProviderPathFromPSPath(ModelPath));
            if (model is null)
            {
                ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ModelRequired, ErrorCategory.InvalidArgument,
                    "No model to look into. Pipe one in (Start-CnnTraining ... | Export-CnnFeatureMap ...), or pass -Model or -ModelPath.", null));
                return;
            }
            byte[] pixels;
            string source;
            if (ParameterSetName == DatasetSet)
            {
                var split = Split == "Train" ? Dataset!.Train : Dataset!.Test;
                if (Index < 0 || Index >= split.Count)
                {
                    throw new MnistCnnException(PredictionErrorIds.IndexOutOfRange, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                        $"-Index {Index} is outside the {Split} split: use 0 to {split.Count - 1}."), Split);
                }
                pixels = split.Image(Index).ToArray();
                source = string.Create(CultureInfo.InvariantCulture, $"{Split.ToLowerInvariant()}[{Index}]");
            }
            else
            {
                source = SessionState.Path.GetUnresolvedProviderPathFromPSPath(ImagePath);
                pixels = ImagePreprocessor.Load(source, model.Preprocessing);
            }
            var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutputPath);
            var pictures = FeatureMaps.Draw(model, pixels);
            if (!ShouldProcess(folder, $"Write {pictures.Count} feature-map pictures of model '{model.Name}' for {source}")) return;
            WriteObject(FeatureMaps.Write(folder, pictures), enumerateCollection: true);
        }
        catch (MnistCnnException ex)
        {
            WriteError(ErrorRecords.From(ex));
        }
        finally
        {
            loaded?.Dispose();
        }
    }
}
