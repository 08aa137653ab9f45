using System.Diagnostics;

namespace PortMismatch.Detection.Reporting.Tests.Support;

/// <summary>
/// Headless Chromium (Debian's <c>chromium</c>) for the tests that look at a report as a person sees it. Where it is not
/// installed the test is skipped, unless <c>PORTMISMATCH_REQUIRE_CHROMIUM=1</c> (set by .ci/run, which installs it):
/// then it fails, so CI never passes without having opened a report.
/// </summary>
internal static class Chromium
{
    /// <summary>The longest one Chromium run may take before the test fails (a cold start on a loaded 2-core VM is ~3 s).</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static readonly string? Executable = Find("chromium") ?? Find("chromium-browser");

    public static void EnsureInstalled()
    {
        if (Executable is not null)
        {
            return;
        }

        const string Why = "chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)";
        if (Environment.GetEnvironmentVariable("PORTMISMATCH_REQUIRE_CHROMIUM") == "1")
        {
            Assert.Fail(Why + ", and PORTMISMATCH_REQUIRE_CHROMIUM=1 says this run must have it");
        }

        Assert.Skip(Why);
    }

    /// <summary>The DOM after the page's scripts ran (<c>--dump-dom</c>), of <paramref name="file"/> with <paramref name="fragment"/>.</summary>
    public static string DumpDom(string file, string fragment = "") => Run($"--dump-dom", file, fragment);

    /// <summary>Saves a screenshot of the page (1400 x <paramref name="height"/>) as PNG.</summary>
    public static void Screenshot(string file, string png, int height = 1600)
    {
        Run($"--screenshot={png}", file, string.Empty, $"--window-size=1400,{height}", "--hide-scrollbars");
        Assert.True(File.Exists(png) && new FileInfo(png).Length > 1000, $"chromium wrote no screenshot to {png}");
    }

    private static string Run(string action, string file, string fragment, params string[] more)
    {
        EnsureInstalled();
        var profile = Directory.CreateTempSubdirectory("pm-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo(Executable!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", $"--user-data-dir={profile}", .. more, action, new Uri(Path.GetFullPath(file)).AbsoluteUri + fragment])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Limit))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"chromium did not finish {action} of {file} within {Limit.TotalSeconds} s");
            }

            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {errors.Result}");
            return output.Result;
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A profile file still held by a child process: left in the temporary folder.
            }
        }
    }

    private static string? Find(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
