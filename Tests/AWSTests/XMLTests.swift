import AWS
import Foundation
import Testing

/// The XML reader on the shapes AWS answers with (as in the API references' examples).
@Suite struct XMLTests {
    @Test func readsAnS3ListObjectsV2Page() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
                <Name>bucket</Name>
                <Prefix/>
                <KeyCount>205</KeyCount>
                <MaxKeys>1000</MaxKeys>
                <IsTruncated>true</IsTruncated>
                <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
                <Contents>
                    <Key>my-image.jpg</Key>
                    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
                    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
                    <Size>434234</Size>
                    <StorageClass>STANDARD</StorageClass>
                </Contents>
                <Contents><Key>releases/1.2.0+build.7/a &amp; b.zip</Key><Size>7</Size></Contents>
                <CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>
            </ListBucketResult>
            """
        let root = try XMLReader.parse(xml)
        #expect(root.name == "ListBucketResult")
        #expect(root.value("IsTruncated") == "true")
        #expect(root.value("NextContinuationToken") == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        #expect(root.value("Prefix") == "")
        let contents = root.children("Contents")
        #expect(contents.count == 2)
        #expect(contents[0].value("ETag") == "\"fba9dede5f27731c9771645a39863328\"")
        #expect(contents[1].value("Key") == "releases/1.2.0+build.7/a & b.zip")
        #expect(root["CommonPrefixes", "Prefix"]?.text == "photos/")
    }

    @Test func readsListObjectVersionsInDocumentOrder() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01">
              <Name>bucket</Name><Prefix>my</Prefix><KeyMarker/><VersionIdMarker/><MaxKeys>5</MaxKeys>
              <IsTruncated>false</IsTruncated>
              <Version><Key>my-image.jpg</Key><VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>
                <IsLatest>true</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified>
                <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size></Version>
              <DeleteMarker><Key>my-second-image.jpg</Key><VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>
                <IsLatest>true</IsLatest><LastModified>2009-11-12T17:50:30.000Z</LastModified></DeleteMarker>
              <Version><Key>my-second-image.jpg</Key><VersionId>QUpfdndhfd8438MNFDN93jdnJFkdmqnh893</VersionId>
                <IsLatest>false</IsLatest><Size>166434</Size></Version>
            </ListVersionsResult>
            """
        let root = try XMLReader.parse(xml)
        let kinds = root.children.filter { ["Version", "DeleteMarker"].contains($0.name) }.map(\.name)
        #expect(kinds == ["Version", "DeleteMarker", "Version"])
        #expect(root.children("Version")[1].value("VersionId") == "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893")
    }

    @Test func readsCloudFormationDescribeStacks() throws {
        let xml = """
            <DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
              <DescribeStacksResult>
                <Stacks>
                  <member>
                    <StackName>MyStack</StackName>
                    <StackId>arn:aws:cloudformation:us-east-1:123456789:stack/MyStack/aaf549a0-a413-11df-adb3-5081b3858e83</StackId>
                    <CreationTime>2010-07-27T22:28:28Z</CreationTime>
                    <StackStatus>CREATE_COMPLETE</StackStatus>
                    <DisableRollback>false</DisableRollback>
                    <Outputs>
                      <member><OutputKey>StartPage</OutputKey><OutputValue>http://my-load-balancer.amazonaws.com:80/index.html</OutputValue></member>
                    </Outputs>
                  </member>
                </Stacks>
              </DescribeStacksResult>
              <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>
            </DescribeStacksResponse>
            """
        let root = try XMLReader.parse(xml)
        let stack = try #require(root["DescribeStacksResult"]?.members("Stacks").first)
        #expect(stack.value("StackStatus") == "CREATE_COMPLETE")
        #expect(stack.members("Outputs").first?.value("OutputValue") == "http://my-load-balancer.amazonaws.com:80/index.html")
        #expect(root.value("ResponseMetadata", "RequestId") == "b9b4b068-3a41-11e5-94eb-example")
        #expect(CloudFormation.StackStatus("CREATE_COMPLETE") == .createComplete)
        #expect(CloudFormation.StackStatus("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS").isInProgress)
        #expect(CloudFormation.StackStatus("SOMETHING_NEW") == .other("SOMETHING_NEW"))
    }

    @Test func readsErrorShapesOfEachProtocol() throws {
        let query = try XMLReader.parse("""
            <ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
              <Error><Type>Sender</Type><Code>ValidationError</Code>
                <Message>Stack with id missing does not exist</Message></Error>
              <RequestId>7ab2e7a8-4d1b-4f2c-9c7e-example</RequestId>
            </ErrorResponse>
            """)
        #expect(query["Error", "Code"]?.text == "ValidationError")
        #expect(query.value("RequestId") == "7ab2e7a8-4d1b-4f2c-9c7e-example")

        let s3 = try XMLReader.parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message>
            <Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """)
        #expect(s3.value("Code") == "NoSuchKey" && s3.value("RequestId") == "4442587FB7D0A2F9")
    }

    @Test func readsStsAssumeRoleWithNamespacesCommentsAndCDATA() throws {
        let root = try XMLReader.parse("""
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <!-- a comment -->
              <AssumeRoleResult>
                <SourceIdentity>Alice</SourceIdentity>
                <AssumedRoleUser>
                  <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
                  <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
                  <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
                  <SessionToken><![CDATA[AQoDYXdzEPT//////////wEXAMPLE<&>]]></SessionToken>
                  <Expiration>2019-11-09T13:34:41Z</Expiration>
                </Credentials>
                <PackedPolicySize>6</PackedPolicySize>
              </AssumeRoleResult>
              <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
            </AssumeRoleResponse>
            """)
        let result = try #require(root.child("AssumeRoleResult"))
        #expect(result.value("Credentials", "SessionToken") == "AQoDYXdzEPT//////////wEXAMPLE<&>")
        #expect(result.value("AssumedRoleUser", "Arn") == "arn:aws:sts::123456789012:assumed-role/demo/TestAR")
        let prefixed = try XMLReader.parse("<s3:Error xmlns:s3='x' a=\"1\"><s3:Code>X&#65;&#x42;</s3:Code></s3:Error>")
        #expect(prefixed.name == "Error" && prefixed.value("Code") == "XAB" && prefixed.attributes["a"] == "1")
    }

    @Test(arguments: ["", "<a>", "<a></b>", "<a>&bogus;</a>", "<a></a><b/>", "text", "<a x=1/>", "<a><![CDATA[x</a>"])
    func refusesMalformedDocuments(_ text: String) {
        #expect(throws: XMLError.self) { try XMLReader.parse(text) }
    }
}
