using System.Management.Automation;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Saves a trained model (weights, architecture and preprocessing) to a folder.</para>
/// </summary>
[Cmdlet(VerbsData.Save, "CnnModel", SupportsShouldProcess = true)]
[OutputType(typeof(DirectoryInfo))]
public sealed class SaveCnnModelCommand : PSCmdlet
{
    /// <summary>The trained model (from Import-CnnModel); a piped Start-CnnTraining result binds through its TrainedModel property.</summary>
    [Parameter(ValueFromPipeline = true)]
    public TrainedModel? Model { get; set; }

    /// <summary>Bound from Start-CnnTraining's output object.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public TrainedModel? TrainedModel { get; set; }

    /// <summary>The folder to write (created; replaced when -Force is given).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => BackendGate.Require(this);

    protected override void ProcessRecord()
    {
        var model = Model ?? TrainedModel;
        if (model is null)
        {
            ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ModelRequired, ErrorCategory.InvalidArgument,
                "No model to save. Pipe one in (Start-CnnTraining ... | Save-CnnModel -Path ...) or pass -Model.", null));
            return;
        }
        var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !Force)
        {
            ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ModelFolderExists, ErrorCategory.ResourceExists,
                $"'{folder}' already exists and is not empty. Use -Force to replace it, or choose another path.", folder));
            return;
        }
        if (!ShouldProcess(folder, $"Save model '{model.Name}'")) return;
        try
        {
            ModelStore.Save(model, folder);
            if (PassThru) this.WriteItem(folder);
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ModelSaveFailed, ErrorCategory.WriteError, $"Could not save the model to '{folder}': {ex.Message}", folder, ex));
        }
    }
}
