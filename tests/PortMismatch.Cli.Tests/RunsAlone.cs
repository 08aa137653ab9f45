namespace PortMismatch.Cli.Tests;

/// <summary>Tests that change or watch the whole process (<see cref="FileStatus"/> turned off, the array pool's events): no other test runs meanwhile.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;
