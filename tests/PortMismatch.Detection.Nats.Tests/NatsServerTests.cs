using System.Net.Sockets;

namespace PortMismatch.Detection.Nats.Tests;

/// <summary>The test server itself: it listens where it says and is gone after disposal.</summary>
public sealed class NatsServerTests
{
    [Fact]
    public async Task A_server_listens_on_its_port_and_stops_when_disposed()
    {
        var server = await NatsServer.StartOrSkip();
        var port = server.Port;
        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", port, TestContext.Current.CancellationToken);
            var greeting = new byte[4];
            await client.GetStream().ReadExactlyAsync(greeting, TestContext.Current.CancellationToken);
            Assert.Equal("INFO"u8.ToArray(), greeting); // the NATS protocol's first word
        }

        await server.DisposeAsync();
        using var after = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(async () => await after.ConnectAsync("127.0.0.1", port, TestContext.Current.CancellationToken));
    }
}
