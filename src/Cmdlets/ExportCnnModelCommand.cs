using System.Management.Automation;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Export;
using MnistCnn.Core.Models;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Exports a trained model for serving outside this module: an ONNX file for ONNX Runtime.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "CnnModel", SupportsShouldProcess = true, DefaultParameterSetName = ModelSet)]
[OutputType(typeof(OnnxExport))]
public sealed class ExportCnnModelCommand : PSCmdlet
{
    private const string ModelSet = "Model";
    private const string ModelPathSet = "ModelPath";

    /// <summary>The trained model (from Import-CnnModel); a piped Start-CnnTraining result binds through its TrainedModel property.</summary>
    [Parameter(ParameterSetName = ModelSet, ValueFromPipeline = true)]
    public TrainedModel? Model { get; set; }

    /// <summary>Bound from Start-CnnTraining's output object.</summary>
    [Parameter(ParameterSetName = ModelSet, ValueFromPipelineByPropertyName = true, DontShow = true)]
    public TrainedModel? TrainedModel { get; set; }

    /// <summary>A saved model folder (Save-CnnModel, or a run's folder).</summary>
    [Parameter(ParameterSetName = ModelPathSet, Mandatory = true)]
    public string ModelPath { get; set; } = "";

    /// <summary>The file to write; an existing folder gets &lt;model name&gt;.onnx.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    [Parameter]
    public ModelExportFormat Format { get; set; } = ModelExportFormat.Onnx;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing() => BackendGate.Require(this);

    protected override void ProcessRecord()
    {
        TrainedModel? loaded = null;
        try
        {
            var model = Model ?? TrainedModel;
            if (ParameterSetName == ModelPathSet)
            {
                model = loaded = ModelStore.Load(SessionState.Path.GetUnresolvedProviderPathFromPSPath(ModelPath));
            }
            if (model is null)
            {
                ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ModelRequired, ErrorCategory.InvalidArgument,
                    "No model to export. Pipe one in (Start-CnnTraining ... | Export-CnnModel -Path model.onnx), or pass -Model or -ModelPath.", null));
                return;
            }
            var file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            if (Directory.Exists(file)) file = System.IO.Path.Combine(file, model.Name + ".onnx");
            if (File.Exists(file) && !Force)
            {
                WriteError(ErrorRecords.Create(CmdletErrorIds.ExportFileExists, ErrorCategory.ResourceExists,
                    $"'{file}' already exists. Use -Force to replace it, or choose another path.", file));
                return;
            }
            if (!ShouldProcess(file, $"Export model '{model.Name}' as {Format}")) return;
            WriteObject(OnnxExporter.Write(model, file));
        }
        catch (MnistCnnException ex)
        {
            WriteError(ErrorRecords.From(ex));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorRecords.Create(CmdletErrorIds.ModelExportFailed, ErrorCategory.WriteError, $"Could not write '{Path}': {ex.Message}", Path, ex));
        }
        finally
        {
            loaded?.Dispose();
        }
    }
}
