using System.Management.Automation;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// The cmdlets that run libtorch call <see cref="Require"/> first: it loads the chosen libtorch before TorchSharp
/// looks for one, or stops the cmdlet with <c>BackendNotInstalled</c> (which says to run Install-CnnBackend) instead of
/// TorchSharp's loader error.
/// </summary>
internal static class BackendGate
{
    public static void Require(PSCmdlet cmdlet)
    {
        try
        {
            TorchBackend.EnsureLoaded();
        }
        catch (MnistCnnException ex)
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }
}
