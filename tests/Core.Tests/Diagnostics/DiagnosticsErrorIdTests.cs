using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;

namespace MnistCnn.Core.Tests.Diagnostics;

/// <summary>The ids an exception carries when it is made without one (the constructors .NET's exception pattern asks for).</summary>
public sealed class DiagnosticsErrorIdTests
{
    [Fact]
    public void AnExceptionMadeWithoutAnIdSaysSoWithItsFallbackId()
    {
        var plain = new MnistCnnException();
        Assert.Equal((DiagnosticsErrorIds.MnistCnnError, ErrorKind.InvalidOperation), (plain.ErrorId, plain.Kind));
        var wrapped = new MnistCnnException("went wrong", new IOException("disk"));
        Assert.Equal(DiagnosticsErrorIds.MnistCnnError, wrapped.ErrorId);
        Assert.IsType<IOException>(wrapped.InnerException);
    }

    [Fact]
    public void AnMlflowErrorMadeWithoutAnIdSaysSoWithItsFallbackId()
    {
        var plain = new MlflowApiException("the server said no");
        Assert.Equal((TrackingErrorIds.MlflowRequestFailed, ErrorKind.InvalidOperation, 0, false), (plain.ErrorId, plain.Kind, plain.StatusCode, plain.IsTransient));
        Assert.Equal(TrackingErrorIds.MlflowRequestFailed, new MlflowApiException().ErrorId);
    }
}
