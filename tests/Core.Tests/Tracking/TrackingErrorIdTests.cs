using System.Net;
using System.Text;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;

namespace MnistCnn.Core.Tests.Tracking;

/// <summary>
/// Tracking errors that no other test provokes: each MLflow answer the client turns into an id (through a stub HTTP
/// handler that answers as a server would), a server that is not there, a run folder without a journal, and a sweep
/// parent that vanishes while it is chosen.
/// </summary>
public sealed class TrackingErrorIdTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<string> Paths { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Paths.Add(request.RequestUri!.AbsolutePath);
            return Task.FromResult(answer(request));
        }
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, string body, string type = "application/json") =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, type) };

    private static TrackingSettings Stubbed(StubHandler handler) =>
        TrackingTestKit.Settings(new Uri("http://mlflow.invalid:5000/")) with { Handler = handler };

    [Theory]
    [InlineData(401, "UNAUTHENTICATED", TrackingErrorIds.MlflowAuthenticationFailed, ErrorKind.SecurityError)]
    [InlineData(403, "PERMISSION_DENIED", TrackingErrorIds.MlflowAuthenticationFailed, ErrorKind.SecurityError)]
    [InlineData(404, "ENDPOINT_NOT_FOUND", TrackingErrorIds.MlflowNotFound, ErrorKind.ObjectNotFound)]
    [InlineData(429, "REQUEST_LIMIT_EXCEEDED", TrackingErrorIds.MlflowThrottled, ErrorKind.ResourceUnavailable)]
    [InlineData(503, "TEMPORARILY_UNAVAILABLE", TrackingErrorIds.MlflowServerError, ErrorKind.ResourceUnavailable)]
    [InlineData(400, "INVALID_PARAMETER_VALUE", TrackingErrorIds.MlflowRequestRejected, ErrorKind.InvalidData)]
    public async Task EachRefusalOfTheServerHasItsId(int status, string code, string id, ErrorKind kind)
    {
        var handler = new StubHandler(_ => Answer((HttpStatusCode)status, $$"""{"error_code": "{{code}}", "message": "refused in the test"}"""));
        using var client = new MlflowClient(Stubbed(handler), attempts: 1);
        var ex = await Assert.ThrowsAsync<MlflowApiException>(() => client.UpdateRunAsync("run-1", "FINISHED", 1, CancellationToken.None));
        Assert.Equal((id, kind, status, code), (ex.ErrorId, ex.Kind, ex.StatusCode, ex.ErrorCode));
        Assert.Contains("refused in the test", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["/api/2.0/mlflow/runs/update"], handler.Paths);
    }

    /// <summary>
    /// A refusal says what was sent (never the secret) and what to do. The messages are the real MLflow 2.17.2
    /// basic-auth server's: its 401 message ends with a full stop of its own, which must not double.
    /// </summary>
    [Theory]
    [InlineData(401, null, null, "No credentials were sent: set MLFLOW_TRACKING_TOKEN")]
    [InlineData(401, "alice", "s3cret-pw", "did not accept the credentials sent (user 'alice'): check")]
    [InlineData(401, null, "tok-s3cret", "did not accept the credentials sent (a bearer token): check")]
    [InlineData(403, "alice", "s3cret-pw", "knows the credentials (user 'alice') but does not let that user do this")]
    public async Task AnAuthenticationRefusalSaysWhatWasSentAndWhatToDo(int status, string? user, string? secret, string expected)
    {
        string serverMessage = status == 401
            ? "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate."
            : "Permission denied.";
        var handler = new StubHandler(_ => Answer((HttpStatusCode)status, $$"""{"error_code": "{{(status == 401 ? "UNAUTHENTICATED" : "PERMISSION_DENIED")}}", "message": "{{serverMessage}}"}"""));
        var settings = Stubbed(handler) with { Username = user, Password = user is null ? null : secret, Token = user is null ? secret : null };
        using var client = new MlflowClient(settings, attempts: 1);
        var ex = await Assert.ThrowsAsync<MlflowApiException>(() => client.GetExperimentIdByNameAsync("mnist", CancellationToken.None));
        Assert.Equal(TrackingErrorIds.MlflowAuthenticationFailed, ex.ErrorId);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("..", ex.Message.Replace("../", "", StringComparison.Ordinal), StringComparison.Ordinal);
        if (secret is not null) Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAnswerThatIsNotMlflowsIsRefused()
    {
        var handler = new StubHandler(_ => Answer(HttpStatusCode.OK, "<html>a web page</html>", "text/html"));
        using var client = new MlflowClient(Stubbed(handler), attempts: 1);
        var ex = await Assert.ThrowsAsync<MlflowApiException>(() => client.SearchRunsAsync(["1"], null, CancellationToken.None));
        Assert.Equal((TrackingErrorIds.MlflowAnswerInvalid, ErrorKind.InvalidData), (ex.ErrorId, ex.Kind));
        Assert.Contains("is this an MLflow tracking server?", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerThatIsNotThereIsUnreachable()
    {
        var settings = TrackingTestKit.Settings(new Uri($"http://127.0.0.1:{FakeMlflowServer.FreePort()}/"));
        using var client = new MlflowClient(settings, attempts: 1);
        var ex = await Assert.ThrowsAsync<MlflowApiException>(() => client.GetExperimentIdByNameAsync("mnist", CancellationToken.None));
        Assert.Equal((TrackingErrorIds.MlflowUnreachable, ErrorKind.ConnectionError), (ex.ErrorId, ex.Kind));
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public void PublishingAFolderWithoutAJournalSaysItIsNotARunFolder()
    {
        using var server = new FakeMlflowServer();
        string folder = Directory.CreateDirectory(temp.Sub("not-a-run")).FullName;
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "no journal here");
        using var publisher = new RunPublisher(TrackingTestKit.Settings(server.Uri));
        var ex = Assert.Throws<MnistCnnException>(() => publisher.Publish(folder));
        Assert.Equal((TrackingErrorIds.RunJournalNotFound, ErrorKind.ObjectNotFound), (ex.ErrorId, ex.Kind));
        Assert.Equal(folder, ex.Target);
        Assert.Empty(server.Runs);
    }

    [Fact]
    public async Task ASweepParentThatVanishesWhileItIsChosenIsLost()
    {
        // The server creates the candidate parent but its searches never show it (someone deletes it at once).
        var handler = new StubHandler(request => request.RequestUri!.AbsolutePath switch
        {
            var p when p.EndsWith("experiments/get-by-name", StringComparison.Ordinal) => Answer(HttpStatusCode.OK, """{"experiment": {"experiment_id": "7", "name": "mnist-test"}}"""),
            var p when p.EndsWith("runs/search", StringComparison.Ordinal) => Answer(HttpStatusCode.OK, "{}"),
            var p when p.EndsWith("runs/create", StringComparison.Ordinal) => Answer(HttpStatusCode.OK, """{"run": {"info": {"run_id": "r1", "experiment_id": "7", "start_time": 1}}}"""),
            _ => Answer(HttpStatusCode.NotFound, """{"error_code": "ENDPOINT_NOT_FOUND"}"""),
        });
        var settings = Stubbed(handler);
        using var client = new MlflowClient(settings, attempts: 1);
        var ex = await Assert.ThrowsAsync<MlflowApiException>(() => SweepParent.ElectAsync(client, settings, "sweep-a", "sweep a", NullReporter.Instance, CancellationToken.None));
        Assert.Equal((TrackingErrorIds.MlflowSweepParentLost, ErrorKind.InvalidOperation), (ex.ErrorId, ex.Kind));
        Assert.Contains(SweepParent.RunIdFor("sweep-a"), ex.Message, StringComparison.Ordinal);

        // What a sweep sees: no parent, and a warning that says why (the trials are linked when published).
        var reporter = new RecordingReporter();
        Assert.Null(await SweepParent.EnsureAsync(settings, "sweep-a", "sweep a", reporter: reporter));
        Assert.Contains(reporter.Warnings, w => w.Contains("vanished", StringComparison.Ordinal));
    }
}
