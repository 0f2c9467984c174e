using MnistCnn.Core.Backends;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tests.Backends;

/// <summary>
/// The first-use step's decision (install, ask, or leave it to BackendNotInstalled) and how a session is judged
/// interactive. The installed module taking the step is tested in tests/Module/Package.Tests.ps1.
/// </summary>
public sealed class BackendFirstUseTests
{
    private const string CacheRoot = "/home/someone/.cache/mnistcnn/libtorch";

    private static BackendFirstUse With(string? variable) =>
        new(name => name == BackendFirstUse.InstallVariable ? variable : null);

    private static bool NeverAsked(string question, string caption) => throw new InvalidOperationException("asked: " + question);

    [Theory]
    [InlineData("cpu", LibTorchBackendKind.Cpu)]
    [InlineData("CPU", LibTorchBackendKind.Cpu)]
    [InlineData("1", LibTorchBackendKind.Cpu)]
    [InlineData("yes", LibTorchBackendKind.Cpu)]
    [InlineData("cuda", LibTorchBackendKind.Cuda)]
    public void TheVariableInstallsWithoutAskingInAnySession(string value, LibTorchBackendKind expected)
    {
        Assert.Equal(expected, With(value).Decide(interactive: false, CacheRoot, NeverAsked));
        Assert.Equal(expected, With(value).Decide(interactive: true, CacheRoot, NeverAsked));
    }

    [Theory]
    [InlineData("no")]
    [InlineData("0")]
    [InlineData("never")]
    public void TheVariableCanForbidInstallingAndAsking(string value) =>
        Assert.Null(With(value).Decide(interactive: true, CacheRoot, NeverAsked));

    [Fact]
    public void AVariableThatNamesNoBackendIsAClearError()
    {
        var ex = Assert.Throws<MnistCnnException>(() => With("gpu").Decide(interactive: true, CacheRoot, NeverAsked));
        Assert.Equal("BackendInstallVariableInvalid", ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("MNISTCNN_INSTALL_BACKEND is 'gpu'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'cpu'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonInteractiveSessionIsNeverAsked() =>
        Assert.Null(With(null).Decide(interactive: false, CacheRoot, NeverAsked));

    [Fact]
    public void AnInteractiveSessionIsAskedWhatWhereAndHowBigAndYesInstallsTheCpuBackend()
    {
        var asked = new List<(string Question, string Caption)>();
        var kind = With(null).Decide(interactive: true, CacheRoot, (q, c) => { asked.Add((q, c)); return true; });
        Assert.Equal(LibTorchBackendKind.Cpu, kind);
        var (question, caption) = Assert.Single(asked);
        Assert.Equal(BackendFirstUse.Caption, caption);
        Assert.Contains("Install-CnnBackend -Backend Cpu", question, StringComparison.Ordinal);
        Assert.Contains("libtorch-cpu-linux-x64 2.10.0", question, StringComparison.Ordinal);
        Assert.Contains("about 125 MB", question, StringComparison.Ordinal);
        Assert.Contains($"'{CacheRoot}/cpu-2.10.0'", question, StringComparison.Ordinal);
        Assert.Contains("MNISTCNN_INSTALL_BACKEND=cpu", question, StringComparison.Ordinal);
    }

    [Fact]
    public void NoIsRememberedSoTheSessionIsAskedOnlyOnce()
    {
        var firstUse = With(null);
        var times = 0;
        Assert.Null(firstUse.Decide(interactive: true, CacheRoot, (_, _) => { times++; return false; }));
        Assert.Null(firstUse.Decide(interactive: true, CacheRoot, (_, _) => { times++; return true; }));
        Assert.Equal(1, times);
        // The variable still speaks after a no: the user may set it in the same session.
        Assert.Equal(LibTorchBackendKind.Cpu, new BackendFirstUse(name => "cpu").Decide(interactive: true, CacheRoot, NeverAsked));
    }

    [Theory]
    [InlineData("ConsoleHost", false, true, "pwsh")]
    [InlineData("ConsoleHost", false, true, "pwsh.dll", "-NoLogo", "-Command", "Import-Module MnistCnn -NonInteractive")]
    [InlineData("ConsoleHost", false, false, "pwsh", "-NonInteractive", "-Command", "New-CnnModel")]
    [InlineData("ConsoleHost", false, false, "pwsh.dll", "-NoLogo", "-noni", "-File", "train.ps1")]
    [InlineData("ConsoleHost", false, false, "pwsh", "/NonInteractive")]
    [InlineData("ConsoleHost", true, false, "pwsh", "-File", "job.ps1")]
    [InlineData("Default Host", false, false, "dotnet", "msbuild")]
    [InlineData(null, false, false, "pwsh")]
    public void ASessionIsInteractiveOnlyWhenAPersonCanAnswer(string? host, bool inputRedirected, bool expected, params string[] commandLine) =>
        Assert.Equal(expected, BackendFirstUse.IsInteractive(host, commandLine, inputRedirected));

    [Fact]
    public void TheNotInstalledErrorNamesTheCommandAndTheUnattendedVariable()
    {
        var ex = TorchBackend.NotInstalled(CacheRoot, null);
        Assert.Contains("'Install-CnnBackend -Backend Cpu'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MNISTCNN_INSTALL_BACKEND=cpu", ex.Message, StringComparison.Ordinal);
    }
}
