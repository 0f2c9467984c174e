using System.Management.Automation;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Checks experiment spec files without training: YAML, keys, types, ranges, layer shapes, sweeps.</para>
/// <para type="description">Outputs one result per file (IsValid, TrialCount, Trials, Diagnostics); each diagnostic prints as
/// 'file(line,col): error MNCxxxx: message'. With -Quiet, outputs only $true or $false.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "CnnExperiment")]
[OutputType(typeof(ExperimentSpecCheck), typeof(bool))]
public sealed class TestCnnExperimentCommand : PSCmdlet
{
    /// <summary>Spec files (YAML). Accepts pipeline input from Get-ChildItem.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ArgumentCompleter(typeof(SpecPathCompleter))]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Output $true when every problem-free, $false otherwise, and nothing else.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(p);
            var check = ExperimentSpecCheck.Run(full);
            if (Quiet)
            {
                WriteObject(check.IsValid);
                continue;
            }
            foreach (var d in check.Diagnostics) WriteVerbose(d.ToString());
            WriteObject(check);
        }
    }
}
