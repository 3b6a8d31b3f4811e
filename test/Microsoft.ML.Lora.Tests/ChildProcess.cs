using System.Diagnostics;
using System.Reflection;
using Xunit;

namespace Microsoft.ML.Lora.Tests;

/// <summary>Runs the ModelLoader tool in a fresh process: the proof that a saved .zip loads with a plain Model.Load anywhere.</summary>
internal static class ChildProcess
{
    public static (int ExitCode, Dictionary<string, string> Values, string Output) LoadAndScore(string zipPath, string[] header, IEnumerable<string[]> rows, params string[] outputColumns)
    {
        var tsv = Path.Combine(Path.GetDirectoryName(zipPath)!, $"rows-{Guid.NewGuid():N}.tsv");
        File.WriteAllLines(tsv, new[] { string.Join('\t', header) }.Concat(rows.Select(r => string.Join('\t', r))));
        var loader = typeof(ChildProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ModelLoaderPath").Value!;
        var psi = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "exec", loader, zipPath, tsv, string.Join(",", outputColumns) }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), "ModelLoader timed out");
        var values = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains('='))
            .Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1].Trim());
        return (p.ExitCode, values, stdout.Result + stderr.Result);
    }

    /// <summary>Runs the program whose path the test assembly carries under <paramref name="pathKey"/> (see the csproj) with <paramref name="args"/>.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string pathKey, TimeSpan timeout, params string[] args) =>
        Run(pathKey, timeout, null, args);

    /// <summary>As <see cref="Run(string, TimeSpan, string[])"/>, with <paramref name="environment"/> added to the child's environment.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string pathKey, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var program = typeof(ChildProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == pathKey).Value!;
        var psi = new ProcessStartInfo(DotnetHost());
        if (environment is not null) foreach (var (name, value) in environment) psi.Environment[name] = value;
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(program);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Exec(psi, timeout);
    }

    /// <summary>
    /// Starts <paramref name="psi"/> with its output captured and waits; past <paramref name="timeout"/> the process tree is
    /// killed and the test fails with the output so far.
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr) Exec(ProcessStartInfo psi, TimeSpan timeout)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(psi.FileName)} {string.Join(' ', psi.ArgumentList)} did not finish in {timeout}; output so far:\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The dotnet executable running the tests (a child uses the same SDK and runtime).</summary>
    internal static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        var self = Environment.ProcessPath;
        return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
