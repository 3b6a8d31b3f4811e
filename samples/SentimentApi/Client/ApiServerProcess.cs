using System.Diagnostics;

namespace SentimentApi.Client;

/// <summary>
/// The SentimentApi executable running as a child process on 127.0.0.1 and a free port, for the tests and the bench: started
/// with <c>dotnet exec</c>, ready once it prints its address, killed (with its children) at dispose.
/// </summary>
public sealed class ApiServerProcess : IDisposable
{
    private readonly Process process;
    private readonly List<string> output = [];

    private ApiServerProcess(Process process, Uri address) => (this.process, Address) = (process, address);

    /// <summary>Where the API listens, e.g. http://127.0.0.1:40123/.</summary>
    public Uri Address { get; }

    /// <summary>Starts <paramref name="apiDll"/> serving <paramref name="modelZip"/> with <paramref name="extraArgs"/>; waits until it listens.</summary>
    /// <exception cref="InvalidOperationException">It exited or printed no address within <paramref name="timeout"/> (with its output).</exception>
    public static ApiServerProcess Start(string dotnet, string apiDll, string modelZip, TimeSpan timeout, params string[] extraArgs)
    {
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "exec", apiDll, "--model", modelZip, "--urls", "http://127.0.0.1:0" }.Concat(extraArgs)) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var lines = new List<string>();
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.Add(e.Data);
            if (e.Data.StartsWith("listening on ", StringComparison.Ordinal)) ready.TrySetResult(new Uri(e.Data["listening on ".Length..]));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the API exited"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = ready.Task.WaitAsync(timeout).GetAwaiter().GetResult();
            var server = new ApiServerProcess(process, address);
            lock (lines) server.output.AddRange(lines);
            return server;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (lines) throw new InvalidOperationException($"SentimentApi did not start within {timeout} ({e.Message}); its output:\n{string.Join('\n', lines)}");
        }
    }

    /// <summary>What it printed up to the moment it listened.</summary>
    public IReadOnlyList<string> StartupOutput => output;

    /// <summary>Whether it is still running.</summary>
    public bool IsRunning => !process.HasExited;

    /// <summary>Stops the API (kills the process tree) and waits for it to go.</summary>
    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }
}
