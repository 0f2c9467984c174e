using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments.Running;

namespace MnistCnn.Cmdlets;

/// <summary>How Invoke-CnnExperiment runs its trials: which <see cref="ITrialExecutor"/>, built for this session.</summary>
internal static class TrialExecutors
{
    /// <summary>In this process one after another, or (-ThrottleLimit above 1) in worker processes running the same module.</summary>
    public static ITrialExecutor For(PSCmdlet cmdlet, int throttleLimit, int count, PipelineReporter pump, IReporter reporter)
    {
        if (throttleLimit > 1 && count > 1)
        {
            // The laid-out module's manifest when there is one (formats, help), else the assembly itself.
            string assembly = typeof(InvokeCnnExperimentCommand).Assembly.Location;
            string manifest = Path.Combine(Path.GetDirectoryName(assembly) ?? ".", "MnistCnn.psd1");
            string module = File.Exists(manifest) ? manifest : cmdlet.MyInvocation.MyCommand.Module?.Path is { Length: > 0 } m ? m : assembly;
            return new WorkerProcessTrials(new WorkerCommand(module, cmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath), throttleLimit, reporter);
        }
        return new ExperimentRunner(TrialTrainer.Tracked((kind, path, token) => new MnistLoader(pump).Load(kind, path, null, token),
            context => EpochLines.ForTrial(pump, context.Trial), pump), reporter);
    }
}
