using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace MnistCnn.TestKit;

/// <summary>A tiny HTTP server on 127.0.0.1 that serves byte arrays by path, standing in for a dataset mirror.</summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly ConcurrentDictionary<string, byte[]> files = new(StringComparer.Ordinal);
    private readonly Task loop;

    public LocalHttpServer()
    {
        int port = FreePort();
        BaseUri = new Uri($"http://127.0.0.1:{port}/data/");
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Serves <paramref name="bytes"/> at BaseUri + <paramref name="name"/>.</summary>
    public void Add(string name, byte[] bytes) => files[BaseUri.AbsolutePath + name] = bytes;

    /// <summary>A port nothing listens on (connections are refused at once).</summary>
    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            string path = context.Request.Url!.AbsolutePath;
            Requests.Enqueue(path);
            try
            {
                if (files.TryGetValue(path, out var bytes))
                {
                    context.Response.StatusCode = 200;
                    context.Response.ContentLength64 = bytes.Length;
                    await context.Response.OutputStream.WriteAsync(bytes);
                }
                else
                {
                    context.Response.StatusCode = 404;
                }
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
