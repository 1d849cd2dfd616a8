// Holds a transaction open with Kafka's own Java producer, for the replication tests
// (tests/replicate_edge_cases.rs): while it is open, the partition's last stable offset stays
// at its first record, so read_committed readers cannot get past it.
//
//   javac -cp "$KAFKA_LIB/*" -d CLASSES OpenTxn.java
//   java -Dlog4j2.configurationFile=LOG4J2 -cp "CLASSES:$KAFKA_LIB/*" OpenTxn BOOTSTRAP TOPIC PARTITION TXN_ID
//
// Begins a transaction, writes one record (key and value "open-txn") to TOPIC/PARTITION, waits
// until it is in the log, prints "OPEN", then waits for standard input to close, aborts the
// transaction and prints "DONE".
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class OpenTxn {
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: OpenTxn BOOTSTRAP TOPIC PARTITION TXN_ID");
            System.exit(64);
        }
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, args[3]);
        // Stay open for as long as the test needs (the broker's maximum is 15 minutes).
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "300000");
        ByteArraySerializer ser = new ByteArraySerializer();
        byte[] payload = "open-txn".getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> txn = new KafkaProducer<>(props, ser, ser)) {
            txn.initTransactions();
            txn.beginTransaction();
            txn.send(new ProducerRecord<>(args[1], Integer.parseInt(args[2]), payload, payload)).get();
            System.out.println("OPEN");
            System.out.flush();
            while (System.in.read() != -1) {
                // Wait for the test to close standard input.
            }
            txn.abortTransaction();
        }
        System.out.println("DONE");
    }
}
