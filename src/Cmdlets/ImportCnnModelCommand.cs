using MnistCnn.Core.Runs;
using System.Management.Automation;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Loads a saved model (a Save-CnnModel folder, or a training run folder) for prediction.</para>
/// </summary>
[Cmdlet(VerbsData.Import, "CnnModel")]
[OutputType(typeof(TrainedModel))]
public sealed class ImportCnnModelCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "ModelPath")]
    [ArgumentCompleter(typeof(ModelFolderCompleter))]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter]
    public DeviceKind Device { get; set; } = DeviceKind.Cpu;

    protected override void BeginProcessing() => BackendGate.Require(this);

    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            try
            {
                var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                WriteObject(ModelStore.Load(folder, Trainer.ResolveDevice(Device)));
            }
            catch (MnistCnnException ex)
            {
                WriteError(ErrorRecords.From(ex));
            }
        }
    }
}
