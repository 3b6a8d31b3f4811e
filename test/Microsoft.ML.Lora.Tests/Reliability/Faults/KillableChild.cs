using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Microsoft.ML.Lora.Tests.Reliability.Faults;

/// <summary>
/// The fault harness (test/Microsoft.ML.Lora.FaultHarness) in a child process whose "key=value" lines are collected as they
/// come, so a test can wait for a moment in its work and then end it with SIGKILL (<see cref="Process.Kill()"/> on Linux),
/// which no finally block or flush survives.
/// </summary>
internal sealed class KillableChild : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly ConcurrentQueue<string> errors = new();

    public KillableChild(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var harness = typeof(KillableChild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FaultHarnessPath").Value!;
        var psi = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(harness);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) errors.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    public IReadOnlyList<string> Lines => lines.ToArray();

    public string Output => string.Join("\n", lines) + "\n" + string.Join("\n", errors);

    /// <summary>The value of the last "key=value" line with this key, or null.</summary>
    public string? Value(string key) => Lines.LastOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];

    /// <summary>Waits until <paramref name="condition"/> holds (polling), failing with the child's output if it exits or the time runs out.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process.HasExited && !condition())
                throw new Xunit.Sdk.XunitException($"the child exited ({process.ExitCode}) before {what}:\n{Output}");
            if (clock.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}:\n{Output}");
            Thread.Sleep(5);
        }
    }

    public void WaitForLine(string key, TimeSpan timeout) => WaitUntil(() => Value(key) is not null, timeout, $"a '{key}=' line");

    /// <summary>SIGKILL, then waits for the process to be gone.</summary>
    public void Kill()
    {
        if (!process.HasExited) process.Kill();
        process.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            Kill();
            throw new Xunit.Sdk.XunitException($"the child did not finish in {timeout}:\n{Output}");
        }
        process.WaitForExit();   // drains the redirected output
        return process.ExitCode;
    }

    public void Dispose()
    {
        try { Kill(); } catch (InvalidOperationException) { }
        process.Dispose();
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        var self = Environment.ProcessPath;
        return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
